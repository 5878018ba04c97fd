import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type AnyActorRef, createActor, type InspectionEvent, setup } from "xstate";
import { ACTORS_PER_SYSTEM, ActorSystemPool, type PoolSlot } from "../../actors/system-pool.js";

/**
 * A stand-in for a connection actor: open until `member.close` (final) or `member.crash` (its
 * action throws), with one delayed event pending while open, as a connection's heartbeat is.
 */
const memberMachine = setup({
  types: { events: {} as { type: "member.close" } | { type: "member.crash" } },
  delays: { heartbeat: 1_000 },
  actions: {
    crash: () => {
      throw new Error("member crashed");
    },
  },
}).createMachine({
  id: "member",
  initial: "open",
  states: {
    open: {
      description: "Running, with a heartbeat pending.",
      after: { heartbeat: { target: "open", reenter: true } },
      on: {
        "member.close": { target: "closed" },
        "member.crash": { actions: "crash" },
      },
    },
    closed: { type: "final" },
  },
});

interface Member {
  readonly ref: AnyActorRef;
  readonly slot: PoolSlot;
}

/** Takes a slot and starts a member under it, subscribed the way the broker's `#accept` does. */
function admit(pool: ActorSystemPool, failures: unknown[] = []): Member {
  const slot = pool.take();
  const ref = createActor(memberMachine, { parent: slot.parent });
  ref.subscribe({
    complete: slot.release,
    error: (error) => {
      slot.release();
      failures.push(error);
    },
  });
  ref.start();
  return { ref, slot };
}

function admitMany(pool: ActorSystemPool, count: number): Member[] {
  return Array.from({ length: count }, () => admit(pool));
}

const statusOf = (actor: AnyActorRef) => actor.getSnapshot().status;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("ActorSystemPool", () => {
  describe("slots", () => {
    it("hands out 128 slots under one parent and opens a new shard, in a new system, for the 129th", () => {
      expect(ACTORS_PER_SYSTEM).toBe(128);
      const pool = new ActorSystemPool();
      const slots = Array.from({ length: 129 }, () => pool.take());
      const first = slots[0]?.parent;
      const next = slots[128]?.parent;
      expect(new Set(slots.slice(0, 128).map((slot) => slot.parent))).toEqual(new Set([first]));
      expect(next).not.toBe(first);
      expect(next?.system).not.toBe(first?.system);
    });

    it("keeps pools apart: two pools never share a shard", () => {
      const [a, b] = [new ActorSystemPool(), new ActorSystemPool()];
      expect(a.take().parent.system).not.toBe(b.take().parent.system);
    });

    it("creates actors made under a slot in its shard's system, with their delayed events there", () => {
      const pool = new ActorSystemPool();
      const [one, two] = admitMany(pool, 2);
      const system = one?.slot.parent.system;
      expect(one?.ref.system).toBe(system);
      expect(two?.ref.system).toBe(system);
      expect(Object.keys(system?.getSnapshot()._scheduledEvents ?? {})).toHaveLength(2);

      one?.ref.send({ type: "member.close" });
      expect(Object.keys(system?.getSnapshot()._scheduledEvents ?? {})).toHaveLength(1);
    });
  });

  describe("shard roots", () => {
    it("stops a full shard's root once all 128 of its actors have ended, and not before", () => {
      const pool = new ActorSystemPool();
      const members = admitMany(pool, 129);
      const root = members[0]?.slot.parent;
      const nextRoot = members[128]?.slot.parent;
      if (!root || !nextRoot) throw new Error("no shard roots");
      expect(statusOf(root)).toBe("active");

      for (const { ref } of members.slice(0, 127)) ref.send({ type: "member.close" });
      expect(statusOf(root)).toBe("active");

      members[127]?.ref.send({ type: "member.close" });
      expect(statusOf(root)).toBe("stopped");
      expect(Object.keys(root.system.getSnapshot()._scheduledEvents)).toEqual([]);
      expect(statusOf(nextRoot)).toBe("active");
      expect(members.slice(0, 128).map(({ ref }) => statusOf(ref))).toEqual(
        Array<string>(128).fill("done"),
      );
    });

    it("counts an actor that fails as ended", () => {
      const pool = new ActorSystemPool();
      const failures: unknown[] = [];
      const members = Array.from({ length: 128 }, () => admit(pool, failures));
      const root = members[0]?.slot.parent;
      if (!root) throw new Error("no shard root");

      members[0]?.ref.send({ type: "member.crash" });
      expect(failures).toHaveLength(1);
      expect(statusOf(root)).toBe("active");
      for (const { ref } of members.slice(1)) ref.send({ type: "member.close" });
      expect(statusOf(root)).toBe("stopped");
    });

    it("never stops the current shard's root while it has slots left, even with none in use", () => {
      const pool = new ActorSystemPool();
      const slots = Array.from({ length: 127 }, () => pool.take());
      for (const slot of slots) slot.release();
      const root = slots[0]?.parent;
      if (!root) throw new Error("no shard root");
      expect(statusOf(root)).toBe("active");

      // The 128th slot fills the shard; once it too is released, the shard is done.
      const last = pool.take();
      expect(last.parent).toBe(root);
      expect(statusOf(root)).toBe("active");
      last.release();
      expect(statusOf(root)).toBe("stopped");
    });

    it("counts a slot released twice as released once", () => {
      const pool = new ActorSystemPool();
      const slots = Array.from({ length: 128 }, () => pool.take());
      const root = slots[0]?.parent;
      if (!root) throw new Error("no shard root");
      for (let i = 0; i < 3; i++) slots[0]?.release();
      for (const slot of slots.slice(1, 127)) slot.release();
      expect(statusOf(root)).toBe("active");

      slots[127]?.release();
      expect(statusOf(root)).toBe("stopped");
      slots[127]?.release();
      expect(statusOf(root)).toBe("stopped");
    });

    // Known defect in actors/system-pool.ts: `release` runs from the ending actor's `complete`
    // (or `error`) observer, which xstate calls before it relays `xstate.done.actor.*` (or
    // `xstate.error.actor.*`) to the parent; the root is stopped by then, and xstate's development
    // build warns "Event … was sent to stopped actor". Drop `.fails` once the pool stops the root
    // after that relay.
    it.fails("ends a full shard without an xstate development warning", () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const pool = new ActorSystemPool();
      const members = admitMany(pool, 128);
      for (const { ref } of members) ref.send({ type: "member.close" });
      expect(members.map(({ slot }) => statusOf(slot.parent))).toContain("stopped");
      expect(warn).not.toHaveBeenCalled();
    });
  });

  describe("inspection", () => {
    it("reports every actor created under any shard's slots to the pool's observer", () => {
      const events: InspectionEvent[] = [];
      const pool = new ActorSystemPool((event) => events.push(event));
      const members = admitMany(pool, ACTORS_PER_SYSTEM + 1);
      const announced = new Set(
        events.filter((event) => event.type === "@xstate.actor").map((event) => event.actorRef),
      );
      for (const { ref } of members) expect(announced.has(ref)).toBe(true);

      const last = members.at(-1);
      if (!last) throw new Error("no members");
      last.ref.send({ type: "member.close" });
      const finals = events.filter(
        (event) =>
          event.type === "@xstate.snapshot" &&
          event.actorRef === last.ref &&
          event.snapshot.status === "done",
      );
      expect(finals).toHaveLength(1);
    });

    it("takes an observer object as well as a callback", () => {
      const actors: unknown[] = [];
      const pool = new ActorSystemPool({
        next: (event) => {
          if (event.type === "@xstate.actor") actors.push(event.actorRef);
        },
      });
      const { ref } = admit(pool);
      expect(actors).toContain(ref);
    });
  });
});
