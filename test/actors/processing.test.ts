import { describe, expect, it } from "vitest";
import { type AnyActorRef, createActor, fromCallback, setup } from "xstate";
import { isProcessing } from "../../actors/processing.js";

/** Records, from inside its own action, whether the actor counts as processing. */
function probe() {
  const seen: boolean[] = [];
  const machine = setup({
    types: { events: {} as { type: "probe" } },
    actions: { look: ({ self }) => seen.push(isProcessing(self)) },
  }).createMachine({ on: { probe: { actions: "look" } } });
  return { actor: createActor(machine).start(), seen };
}

describe("isProcessing", () => {
  it("is false for an idle actor and true inside its own action", () => {
    const { actor, seen } = probe();
    expect(isProcessing(actor)).toBe(false);
    actor.send({ type: "probe" });
    expect(seen).toEqual([true]);
    expect(isProcessing(actor)).toBe(false);
  });

  it("is false for an actor stopped or never started", () => {
    const { actor } = probe();
    actor.stop();
    expect(isProcessing(actor)).toBe(false);
    expect(isProcessing(createActor(fromCallback(() => {})))).toBe(false);
  });

  it("counts an actor whose mailbox it cannot read as busy", () => {
    const odd = { send: () => {} } as unknown as AnyActorRef;
    expect(isProcessing(odd)).toBe(true);
    const renamed = { mailbox: { current: null } } as unknown as AnyActorRef;
    expect(isProcessing(renamed)).toBe(true);
  });
});
