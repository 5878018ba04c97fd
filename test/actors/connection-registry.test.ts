import { describe, expect, it } from "vitest";
import { createActor, fromCallback } from "xstate";
import type { ConnectionActorRef } from "../../actors/connection.js";
import { ConnectionRegistry, NO_ROOMS } from "../../actors/connection-registry.js";
import type { ConnectionRecord } from "../../actors/hooks.js";
import { json } from "../../protocols/json.js";
import { fakeTransport } from "./fakes.js";

/** The registry never touches a record's actor: an idle, unstarted one stands in. */
const idle = fromCallback(() => {});

function record(id: string): ConnectionRecord {
  return {
    id,
    transport: fakeTransport(),
    codec: json(),
    rooms: new Set(),
    // The registry only stores the ref; an idle stand-in is enough.
    ref: createActor(idle) as unknown as ConnectionActorRef,
    deliverable: true,
  };
}

function registryWith(...ids: string[]): ConnectionRegistry {
  const registry = new ConnectionRegistry();
  for (const id of ids) registry.add(record(id));
  return registry;
}

describe("ConnectionRegistry", () => {
  it("adds and gets records by id and counts them", () => {
    const registry = registryWith("a", "b");
    expect(registry.size).toBe(2);
    expect(registry.get("a")?.id).toBe("a");
    expect(registry.get("zz")).toBeUndefined();
  });

  it("joins a room in both the room index and the record", () => {
    const registry = registryWith("a", "b");
    expect(registry.join("a", "lobby")).toBe(true);
    expect(registry.join("b", "lobby")).toBe(true);
    expect(registry.rooms.get("lobby")).toEqual(new Set(["a", "b"]));
    expect(registry.get("a")?.rooms).toEqual(new Set(["lobby"]));
  });

  it("gives a record in no room the shared NO_ROOMS, and its own set from its first join", () => {
    const registry = new ConnectionRegistry();
    const [a, b] = [
      { ...record("a"), rooms: NO_ROOMS },
      { ...record("b"), rooms: NO_ROOMS },
    ];
    registry.add(a);
    registry.add(b);
    expect(registry.leave("a", "lobby")).toBe(true);
    registry.join("a", "lobby");
    expect(a.rooms).not.toBe(NO_ROOMS);
    expect(a.rooms).toEqual(new Set(["lobby"]));
    expect(b.rooms).toBe(NO_ROOMS);
    expect(NO_ROOMS.size).toBe(0);
    registry.leave("a", "lobby");
    registry.remove("b");
    expect(a.rooms).toEqual(new Set());
    expect(NO_ROOMS.size).toBe(0);
  });

  it("treats a second join of the same room as a no-op", () => {
    const registry = registryWith("a");
    registry.join("a", "lobby");
    registry.join("a", "lobby");
    expect(registry.rooms.get("lobby")?.size).toBe(1);
    expect(registry.get("a")?.rooms.size).toBe(1);
  });

  it("refuses to join an unknown id and creates no room", () => {
    const registry = registryWith("a");
    expect(registry.join("ghost", "lobby")).toBe(false);
    expect(registry.rooms.has("lobby")).toBe(false);
  });

  it("leaves a room in both places and drops the room once empty", () => {
    const registry = registryWith("a", "b");
    registry.join("a", "lobby");
    registry.join("b", "lobby");
    expect(registry.leave("a", "lobby")).toBe(true);
    expect(registry.rooms.get("lobby")).toEqual(new Set(["b"]));
    expect(registry.get("a")?.rooms.size).toBe(0);
    registry.leave("b", "lobby");
    expect(registry.rooms.has("lobby")).toBe(false);
  });

  it("returns false when an unknown id leaves, and ignores leaving a room never joined", () => {
    const registry = registryWith("a");
    expect(registry.leave("ghost", "lobby")).toBe(false);
    expect(registry.leave("a", "nowhere")).toBe(true);
    expect(registry.rooms.size).toBe(0);
  });

  it("removes a record from every room it was in and returns it", () => {
    const registry = registryWith("a", "b");
    registry.join("a", "one");
    registry.join("a", "two");
    registry.join("b", "two");
    const removed = registry.remove("a");
    expect(removed?.id).toBe("a");
    expect(registry.get("a")).toBeUndefined();
    expect(registry.size).toBe(1);
    expect(registry.rooms.has("one")).toBe(false);
    expect(registry.rooms.get("two")).toEqual(new Set(["b"]));
  });

  it("returns undefined when removing an unknown id", () => {
    const registry = registryWith("a");
    expect(registry.remove("ghost")).toBeUndefined();
    expect(registry.size).toBe(1);
  });

  it("refuses to join a removed id", () => {
    const registry = registryWith("a");
    registry.remove("a");
    expect(registry.join("a", "lobby")).toBe(false);
    expect(registry.rooms.size).toBe(0);
  });

  it("mutates its maps in place rather than copying them", () => {
    const registry = registryWith("a");
    const { connections, rooms } = registry;
    registry.join("a", "lobby");
    registry.add(record("b"));
    registry.remove("a");
    expect(registry.connections).toBe(connections);
    expect(registry.rooms).toBe(rooms);
  });
});
