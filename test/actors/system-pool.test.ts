import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type AnyActorRef, createActor, type InspectionEvent, setup } from "xstate";
import { ACTORS_PER_SYSTEM, ActorSystemPool } from "../../actors/system-pool.js";
import { RecordingPool } from "./fakes.js";

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

/**
 * Creates a member under `pool.nextParent()`, subscribed only for errors, as the broker's
 * `#accept` creates a connection actor, and starts it (as the supervisor does on accept).
 */
function admit(pool: ActorSystemPool, failures: unknown[] = []): AnyActorRef {
  const ref = createActor(memberMachine, { parent: pool.nextParent() });
  ref.subscribe({ error: (error) => failures.push(error) });
  ref.start();
  return ref;
}

function admitMany(pool: ActorSystemPool, count: number, failures: unknown[] = []): AnyActorRef[] {
  return Array.from({ length: count }, () => admit(pool, failures));
}

const pendingIn = (actor: AnyActorRef) =>
  Object.keys(actor.system.getSnapshot()._scheduledEvents).length;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("ActorSystemPool", () => {
  describe("nextParent", () => {
    it("returns one parent 128 times and a new one, in a new system, the 129th time", () => {
      expect(ACTORS_PER_SYSTEM).toBe(128);
      const pool = new ActorSystemPool();
      const parents = Array.from({ length: 129 }, () => pool.nextParent());
      const [first] = parents;
      const next = parents[128];
      expect(new Set(parents.slice(0, 128))).toEqual(new Set([first]));
      expect(next).not.toBe(first);
      expect(next?.system).not.toBe(first?.system);
    });

    it("opens a shard every 128 parents: 6,000 actors take 47 shards, each in its own system", () => {
      const pool = new RecordingPool();
      for (let i = 0; i < 6_000; i++) pool.nextParent();
      const roots = [...pool.roots];
      expect(roots).toHaveLength(Math.ceil(6_000 / ACTORS_PER_SYSTEM));
      expect(new Set(roots.map((root) => root.system)).size).toBe(roots.length);
    });

    it("returns started roots", () => {
      const pool = new ActorSystemPool();
      expect(pool.nextParent().getSnapshot().status).toBe("active");
    });

    it("counts parents handed out, not live actors: a shard whose actors all ended takes no more", () => {
      const pool = new RecordingPool();
      const members = admitMany(pool, ACTORS_PER_SYSTEM);
      for (const ref of members) ref.send({ type: "member.close" });
      expect(members.map((ref) => ref.getSnapshot().status)).toEqual(
        Array<string>(ACTORS_PER_SYSTEM).fill("done"),
      );
      const late = admit(pool);
      expect(pool.roots.size).toBe(2);
      expect(late.system).not.toBe(members[0]?.system);
    });

    it("keeps pools apart: two pools never share a system", () => {
      const [a, b] = [new ActorSystemPool(), new ActorSystemPool()];
      expect(a.nextParent().system).not.toBe(b.nextParent().system);
    });
  });

  describe("members", () => {
    it("share their shard's system, with their delayed events there", () => {
      const pool = new RecordingPool();
      const [one, two] = admitMany(pool, 2);
      const [root, ...others] = pool.roots;
      if (!one || !two || !root) throw new Error("no members");
      expect(others).toEqual([]);
      expect(one.system).toBe(root.system);
      expect(two.system).toBe(root.system);
      expect(pendingIn(root)).toBe(2);

      one.send({ type: "member.close" });
      expect(pendingIn(root)).toBe(1);
    });

    it("put the 129th actor in a new system, with its delayed event apart from the first 128", () => {
      const pool = new RecordingPool();
      const members = admitMany(pool, ACTORS_PER_SYSTEM + 1);
      const [first, second] = pool.roots;
      if (!first || !second) throw new Error("expected two shards");
      expect(new Set(members.slice(0, ACTORS_PER_SYSTEM).map((ref) => ref.system))).toEqual(
        new Set([first.system]),
      );
      expect(members[ACTORS_PER_SYSTEM]?.system).toBe(second.system);
      expect(second.system).not.toBe(first.system);
      expect(pendingIn(first)).toBe(ACTORS_PER_SYSTEM);
      expect(pendingIn(second)).toBe(1);
    });

    it("report a crash through the error observer only", () => {
      const pool = new ActorSystemPool();
      const failures: unknown[] = [];
      const [crashing, healthy] = admitMany(pool, 2, failures);
      crashing?.send({ type: "member.crash" });
      expect(failures).toEqual([new Error("member crashed")]);
      expect(crashing?.getSnapshot().status).toBe("error");
      expect(healthy?.getSnapshot().status).toBe("active");
    });

    it("pass a crash to the pool's failure handler, with the actor's id, and nothing else", () => {
      const reported: { id: string; error: unknown }[] = [];
      const pool = new ActorSystemPool(undefined, (id, error) => reported.push({ id, error }));
      const crashing = createActor(memberMachine, { id: "m1", parent: pool.nextParent() }).start();
      const closing = createActor(memberMachine, { id: "m2", parent: pool.nextParent() }).start();
      closing.send({ type: "member.close" });
      expect(reported).toEqual([]);
      crashing.send({ type: "member.crash" });
      expect(reported).toEqual([{ id: "m1", error: new Error("member crashed") }]);
      expect(crashing.getSnapshot().status).toBe("error");
    });

    it("end, close or crash, across full shards without any console.warn", () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const pool = new RecordingPool();
      const failures: unknown[] = [];
      const members = admitMany(pool, 3 * ACTORS_PER_SYSTEM + 1, failures);
      for (const [i, ref] of members.entries()) {
        ref.send(i % 10 === 0 ? { type: "member.crash" } : { type: "member.close" });
      }
      expect(failures).toHaveLength(Math.ceil(members.length / 10));
      expect(new Set(members.map((ref) => ref.getSnapshot().status))).toEqual(
        new Set(["done", "error"]),
      );
      expect([...pool.roots].map(pendingIn)).toEqual([0, 0, 0, 0]);
      vi.runAllTimers();
      expect(warn).not.toHaveBeenCalled();
    });
  });

  describe("inspection", () => {
    it("reports every actor created under any shard's root to the pool's observer", () => {
      const events: InspectionEvent[] = [];
      const pool = new ActorSystemPool((event) => events.push(event));
      const members = admitMany(pool, ACTORS_PER_SYSTEM + 1);
      const announced = new Set(
        events.filter((event) => event.type === "@xstate.actor").map((event) => event.actorRef),
      );
      for (const ref of members) expect(announced.has(ref)).toBe(true);

      const last = members.at(-1);
      if (!last) throw new Error("no members");
      last.send({ type: "member.close" });
      const finals = events.filter(
        (event) =>
          event.type === "@xstate.snapshot" &&
          event.actorRef === last &&
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
      const ref = admit(pool);
      expect(actors).toContain(ref);
    });

    it("reports nothing before the first parent is asked for", () => {
      const events: InspectionEvent[] = [];
      new ActorSystemPool((event) => events.push(event));
      expect(events).toEqual([]);
    });
  });
});
