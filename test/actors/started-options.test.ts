import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { assign, createActor, setup, waitFor } from "xstate";
import { releaseStartOptions, STARTED_OPTIONS } from "../../actors/started-options.js";
import { ActorSystemPool } from "../../actors/system-pool.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** A connection-like machine: context from input, an event that changes it, a delayed transition. */
const machine = setup({
  types: {
    input: {} as { name: string; delay: number },
    context: {} as { name: string; delay: number; seen: number },
    events: {} as { type: "frame" } | { type: "close" },
  },
  delays: { tick: ({ context }) => context.delay },
}).createMachine({
  context: ({ input }) => ({ ...input, seen: 0 }),
  initial: "open",
  states: {
    open: {
      initial: "alive",
      states: { alive: { after: { tick: "probing" } }, probing: {} },
      on: {
        frame: { actions: assign({ seen: ({ context }) => context.seen + 1 }) },
        close: "closed",
      },
    },
    closed: { type: "final" },
  },
});

describe("releaseStartOptions", () => {
  it("swaps a started actor's options for the shared empty object, and the actor works on", async () => {
    const pool = new ActorSystemPool();
    const actor = createActor(machine, {
      id: "c1",
      parent: pool.nextParent(),
      input: { name: "c1", delay: 5 },
    });
    actor.start();
    releaseStartOptions(actor);
    expect(actor.options).toBe(STARTED_OPTIONS);

    actor.send({ type: "frame" });
    actor.send({ type: "frame" });
    expect(actor.getSnapshot().context).toEqual({ name: "c1", delay: 5, seen: 2 });
    // The delayed transition scheduled at start still fires.
    await waitFor(actor, (snapshot) => snapshot.matches({ open: "probing" }));
    actor.send({ type: "close" });
    expect(actor.getSnapshot().status).toBe("done");
  });

  it("leaves the options the actor was created with to the garbage collector", async () => {
    const pool = new ActorSystemPool();
    const actor = createActor(machine, {
      id: "c2",
      parent: pool.nextParent(),
      input: { name: "c2", delay: 60_000 },
    });
    actor.start();
    const created = new WeakRef(actor.options);
    releaseStartOptions(actor);
    // A WeakRef keeps its target alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(created.deref()).toBeUndefined();
    expect(actor.getSnapshot().context.name).toBe("c2");
    actor.send({ type: "close" });
  });

  it("does nothing to an actor without options", () => {
    const odd = { send: () => {} };
    releaseStartOptions(odd as unknown as Parameters<typeof releaseStartOptions>[0]);
    expect(odd).not.toHaveProperty("options");
  });
});
