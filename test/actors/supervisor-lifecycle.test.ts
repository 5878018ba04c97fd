import { describe, expect, it, vi } from "vitest";
import { type AnyActorRef, waitFor } from "xstate";
import { ACTORS_PER_SYSTEM } from "../../actors/system-pool.js";
import type { Codec } from "../../protocols/codec.js";
import { json } from "../../protocols/json.js";
import { separator } from "../../protocols/separator.js";
import { CloseCode } from "../../src/constants.js";
import { ErrorCode } from "../../src/errors.js";
import {
  type ConnectionActor,
  SHUTDOWN,
  startSupervisor,
  useFakeClock,
} from "./supervisor-harness.js";

useFakeClock();

describe("supervisorMachine", () => {
  describe("connections", () => {
    it("registers an accepted connection and opens it", async () => {
      const { supervisor, hooks, registry, accept, connectionOf } = startSupervisor();
      const transport = accept("a");
      const record = registry().get("a");
      expect(record).toMatchObject({ id: "a", transport, deliverable: true });
      expect(record?.rooms.size).toBe(0);
      expect(transport.calls.bind).toBe(1);
      await waitFor(connectionOf("a"), (snapshot) => snapshot.matches("open"));
      expect(connectionOf("a").getSnapshot().value).toEqual({ open: "alive" });
      expect(hooks.calls.admitted.map((admitted) => admitted.id)).toEqual(["a"]);
      expect(hooks.calls.connected).toEqual(["a"]);
      expect(supervisor.getSnapshot().value).toBe("running");
    });

    it("routes the transport's frames through the connection to hooks.received", () => {
      const { hooks, accept } = startSupervisor();
      const transport = accept("a");
      transport.push({ type: "socket.message", frame: '{"type":"chat","data":1}' });
      expect(hooks.calls.received).toEqual([{ id: "a", message: { event: "chat", data: 1 } }]);
    });

    it("unregisters a connection the peer closes and reports its close code", () => {
      const { hooks, registry, accept } = startSupervisor();
      const transport = accept("a");
      transport.push({ type: "socket.closed", code: 1000, reason: "bye" });
      expect(registry().size).toBe(0);
      expect(hooks.calls.disconnected).toHaveLength(1);
      expect(hooks.calls.disconnected[0]?.record.id).toBe("a");
      expect(hooks.calls.disconnected[0]?.info).toEqual({ code: 1000, reason: "bye" });
    });

    it("closes a client on client.close and unregisters it once the socket closes", () => {
      const { hooks, registry, accept, connectionOf, supervisor } = startSupervisor();
      const transport = accept("a");
      supervisor.send({ type: "client.close", id: "a", code: 4000, reason: "kicked" });
      expect(transport.closes).toEqual([{ code: 4000, reason: "kicked" }]);
      expect(connectionOf("a").getSnapshot().value).toBe("closing");
      expect(registry().get("a")?.deliverable).toBe(false);
      transport.push({ type: "socket.closed", code: 1005, reason: "" });
      expect(registry().size).toBe(0);
      expect(hooks.calls.disconnected[0]?.info).toEqual({ code: 4000, reason: "kicked" });
    });

    it("registers the very actor it was handed and starts it", () => {
      const { accept, connections, connectionOf } = startSupervisor();
      accept("a");
      expect(connectionOf("a")).toBe(connections.get("a"));
      expect(connectionOf("a").getSnapshot().status).toBe("active");
    });

    it("admits a connection without an xstate development warning", () => {
      const { hooks, accept } = startSupervisor();
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      accept("a");
      accept("b");
      expect(hooks.calls.connected).toEqual(["a", "b"]);
      expect(warn).not.toHaveBeenCalled();
    });

    it("reaps a connection whose actor throws, via connection.failed: 1011 and a report", () => {
      const { supervisor, hooks, registry, accept, connections } = startSupervisor();
      const bug = new Error("codec bug");
      const broken: Codec = {
        ...json(),
        decode: () => {
          throw bug;
        },
      };
      const transport = accept("a", broken);
      accept("b");
      transport.push({ type: "socket.message", frame: "{}" });
      expect(connections.get("a")?.getSnapshot().status).toBe("error");
      expect(registry().get("a")).toBeUndefined();
      expect(transport.closes).toEqual([
        { code: CloseCode.INTERNAL_ERROR, reason: "internal error" },
      ]);
      expect(hooks.calls.failed.map((failure) => failure.error.code)).toEqual([ErrorCode.INTERNAL]);
      expect(hooks.calls.failed[0]?.id).toBe("a");
      expect(hooks.calls.failed[0]?.error.cause).toBe(bug);
      expect(hooks.calls.disconnected[0]?.info.code).toBe(CloseCode.INTERNAL_ERROR);
      expect(supervisor.getSnapshot().value).toBe("running");
      expect(registry().get("b")).toBeDefined();

      // The dead actor's socket may still report its close: nothing more happens.
      transport.push({ type: "socket.closed", code: 1011, reason: "" });
      expect(hooks.calls.disconnected).toHaveLength(1);
      expect(hooks.calls.failed).toHaveLength(1);
    });

    it("ignores connection.failed for an id it does not hold", () => {
      const { supervisor, hooks, registry, accept } = startSupervisor();
      const transport = accept("a");
      supervisor.send({ type: "connection.failed", id: "ghost", error: new Error("x") });
      expect(hooks.calls.failed).toEqual([]);
      expect(hooks.calls.disconnected).toEqual([]);
      expect(registry().size).toBe(1);
      expect(transport.closes).toEqual([]);
    });
  });

  describe("shutdown", () => {
    it("drains: closes every connection with 1001, then stops once all sockets closed", async () => {
      const { supervisor, hooks, registry, accept, connectionOf, transports } = startSupervisor();
      for (const id of ["a", "b", "c"]) accept(id);
      supervisor.send(SHUTDOWN);
      expect(supervisor.getSnapshot().value).toBe("draining");
      for (const id of ["a", "b", "c"]) {
        expect(transports.get(id)?.closes).toEqual([
          { code: CloseCode.GOING_AWAY, reason: "server shutting down" },
        ]);
        expect(connectionOf(id).getSnapshot().value).toBe("closing");
      }

      transports.get("a")?.push({ type: "socket.closed", code: 1001, reason: "" });
      transports.get("b")?.push({ type: "socket.closed", code: 1001, reason: "" });
      expect(supervisor.getSnapshot().value).toBe("draining");
      transports.get("c")?.push({ type: "socket.closed", code: 1001, reason: "" });
      // The last disconnect listeners' calls are applied before it stops (a timer's step later).
      expect(supervisor.getSnapshot().value).toBe("settling");
      vi.advanceTimersByTime(1);

      const stopped = await waitFor(supervisor, (snapshot) => snapshot.status === "done");
      expect(stopped.value).toBe("stopped");
      expect(registry().size).toBe(0);
      expect(hooks.calls.disconnected.map(({ info }) => info.code)).toEqual([1001, 1001, 1001]);
    });

    it("stops at once when there are no connections", () => {
      const { supervisor } = startSupervisor();
      supervisor.send(SHUTDOWN);
      vi.advanceTimersByTime(1);
      expect(supervisor.getSnapshot().value).toBe("stopped");
      expect(supervisor.getSnapshot().status).toBe("done");
    });

    it("stops even when a client never completes the close handshake", () => {
      const { supervisor, accept } = startSupervisor({ closeTimeout: 1_000 });
      const transport = accept("a");
      supervisor.send(SHUTDOWN);
      vi.advanceTimersByTime(1_000);
      expect(transport.calls.terminate).toBe(1);
      vi.advanceTimersByTime(1);
      expect(supervisor.getSnapshot().status).toBe("done");
    });

    it("stops every timer when draining starts", () => {
      const { supervisor, accept } = startSupervisor();
      accept("a");
      const callback = vi.fn();
      supervisor.send({ type: "timer.set", timerId: "t", kind: "interval", ms: 100, callback });
      supervisor.send(SHUTDOWN);
      expect(supervisor.getSnapshot().children.t).toBeUndefined();
      expect(supervisor.getSnapshot().context.timers.size).toBe(0);
      vi.advanceTimersByTime(1_000);
      expect(callback).not.toHaveBeenCalled();
    });

    it("refuses a connection accepted while draining with 1001 and does not register it", () => {
      const { supervisor, hooks, registry, accept, transports } = startSupervisor();
      accept("a");
      supervisor.send(SHUTDOWN);
      const late = accept("late");
      expect(late.closes).toEqual([{ code: CloseCode.GOING_AWAY, reason: "server shutting down" }]);
      expect(late.calls.bind).toBe(0);
      expect(registry().get("late")).toBeUndefined();
      expect(hooks.calls.admitted.map(({ id }) => id)).toEqual(["a"]);

      transports.get("a")?.push({ type: "socket.closed", code: 1001, reason: "" });
      vi.advanceTimersByTime(1);
      expect(supervisor.getSnapshot().status).toBe("done");
    });

    // xstate's scheduler.cancelAll scans every delayed event of an actor's *system* each time
    // one of its actors stops, and every connection keeps one pending (heartbeat or close
    // timeout). In one shared system, n disconnects would cost O(n²); a system per connection
    // costs memory. The broker pools connections, at most ACTORS_PER_SYSTEM to a system, so a
    // stop scans at most that many events. Checked by structure, not by the clock; and with no
    // xstate development warning (such as "Event … was sent to stopped actor") on the way.
    it("drains 6,000 connections pooled at most 128 to an actor system, without a warning", () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const { supervisor, hooks, registry, accept, connections, transports, systems } =
        startSupervisor({ heartbeat: { interval: 25_000, timeout: 20_000 } });
      for (let i = 0; i < 6_000; i++) accept(`c${i}`);
      const refs = [...connections.values()];
      const shards = [...systems.roots];
      const full = Math.floor(6_000 / ACTORS_PER_SYSTEM);
      expect(shards).toHaveLength(Math.ceil(6_000 / ACTORS_PER_SYSTEM));

      // Connection actors per system, in the order the systems were first used.
      const members = new Map<ConnectionActor["system"], number>();
      for (const ref of refs) members.set(ref.system, (members.get(ref.system) ?? 0) + 1);
      expect([...members.keys()]).toEqual(shards.map((root) => root.system));
      expect(members.has(supervisor.system)).toBe(false);
      const sizes = [...members.values()];
      expect(sizes).toEqual([
        ...Array<number>(full).fill(ACTORS_PER_SYSTEM),
        6_000 - full * ACTORS_PER_SYSTEM,
      ]);
      const pending = (root: AnyActorRef) =>
        Object.keys(root.system.getSnapshot()._scheduledEvents).length;
      expect(shards.map(pending)).toEqual(sizes);
      expect(Object.keys(supervisor.system.getSnapshot()._scheduledEvents)).toEqual([]);

      supervisor.send(SHUTDOWN);
      expect(shards.map(pending)).toEqual(sizes);
      for (const transport of transports.values()) {
        transport.push({ type: "socket.closed", code: 1001, reason: "" });
      }
      expect(registry().size).toBe(0);
      expect(hooks.calls.disconnected).toHaveLength(6_000);
      vi.advanceTimersByTime(1);
      expect(supervisor.getSnapshot().status).toBe("done");
      expect(new Set(refs.map((ref) => ref.getSnapshot().status))).toEqual(new Set(["done"]));
      expect(new Set(shards.map(pending))).toEqual(new Set([0]));
      expect(vi.getTimerCount()).toBe(0);
      expect(warn).not.toHaveBeenCalled();
    });
  });

  describe("scale", () => {
    it("leaves no connection, room or scheduled event behind after 1,000 accepts and closes", () => {
      const { supervisor, hooks, registry, accept, connections, transports } = startSupervisor({
        heartbeat: { interval: 25_000, timeout: 20_000 },
      });
      const ids = Array.from({ length: 1_000 }, (_, i) => `c${i}`);
      for (const [i, id] of ids.entries()) {
        accept(id, i % 2 === 0 ? json() : separator());
        supervisor.send({ type: "room.join", id, room: "all" });
        supervisor.send({ type: "room.join", id, room: `group-${i % 10}` });
      }
      expect(registry().size).toBe(1_000);
      expect(registry().rooms.size).toBe(11);
      expect(hooks.calls.connected).toHaveLength(1_000);

      // Half close from the server side, half from the peer side.
      for (const [i, id] of ids.entries()) {
        if (i % 2 === 0) supervisor.send({ type: "client.close", id, code: 1000, reason: "" });
        transports.get(id)?.push({ type: "socket.closed", code: 1000, reason: "" });
      }

      expect(registry().size).toBe(0);
      expect(registry().rooms.size).toBe(0);
      expect(hooks.calls.disconnected).toHaveLength(1_000);
      expect(Object.keys(supervisor.system.getSnapshot()._scheduledEvents)).toEqual([]);
      for (const ref of connections.values()) {
        expect(Object.keys(ref.system.getSnapshot()._scheduledEvents)).toEqual([]);
      }
      expect(vi.getTimerCount()).toBe(0);
      expect(supervisor.getSnapshot().value).toBe("running");
    });
  });
});
