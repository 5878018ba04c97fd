/**
 * The supervisor's side of scale-out, with a recording `ClusterLink` in place of a cluster node:
 * what it hands over for the other nodes, what it keeps to itself, and the presence it reports.
 */
import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { supervisorMachine } from "../../actors/supervisor.js";
import { json } from "../../protocols/json.js";
import type { ClusterLink } from "../../src/cluster/link.js";
import type { ClusterCommand, PresenceAction } from "../../src/cluster/messages.js";
import { CloseCode } from "../../src/constants.js";
import {
  connectionActor,
  type FakeTransport,
  fakeTransport,
  recordingHooks,
  reportingPool,
} from "../actors/fakes.js";

interface Presence {
  readonly id: string;
  readonly rooms: readonly string[];
  readonly action: PresenceAction;
}

function startClustered() {
  const published: ClusterCommand[] = [];
  const presence: Presence[] = [];
  const cluster: ClusterLink = {
    publish: (command) => {
      published.push(command);
      return true;
    },
    presence: (id, rooms, action) => presence.push({ id, rooms, action }),
  };
  const hooks = recordingHooks();
  const supervisor = createActor(supervisorMachine, { input: { hooks, cluster } }).start();
  const systems = reportingPool(supervisor);
  const accept = (id: string, rooms?: string[]): FakeTransport => {
    const transport = fakeTransport();
    const codec = json();
    const ref = connectionActor(supervisor, systems, { id, transport, codec, hooks });
    supervisor.send({ type: "connection.accept", id, ref, transport, codec, rooms });
    return transport;
  };
  return { supervisor, published, presence, accept };
}

describe("supervisor in a cluster", () => {
  it("publishes one command per broadcast, whatever the number of recipients", () => {
    const { supervisor, published, accept } = startClustered();
    const transports = Array.from({ length: 50 }, (_, index) => accept(`c${index}`));
    for (let index = 0; index < 50; index += 1) {
      supervisor.send({ type: "room.join", id: `c${index}`, room: "lobby" });
    }
    published.length = 0;
    supervisor.send({ type: "broadcast", payload: "hi", room: "lobby", except: new Set(["c1"]) });
    expect(published).toEqual([
      { kind: "broadcast", payload: "hi", room: "lobby", except: ["c1"] },
    ]);
    expect(transports.filter((transport) => transport.frames.length === 1)).toHaveLength(49);

    supervisor.send({ type: "broadcast", payload: { n: 1 }, event: "tick" });
    expect(published[1]).toEqual({ kind: "broadcast", payload: { n: 1 }, event: "tick" });
  });

  it("delivers a broadcast from another node locally and never publishes it again", () => {
    const { supervisor, published, accept } = startClustered();
    const transport = accept("here");
    published.length = 0;
    supervisor.send({ type: "broadcast", payload: "from afar", remote: true });
    expect(transport.sent()).toEqual(['{"type":"message","data":"from afar"}']);
    expect(published).toEqual([]);
  });

  it("publishes whispers, emits, joins and leaves for ids it does not hold, and only those", () => {
    const { supervisor, published, accept } = startClustered();
    const local = accept("local");
    supervisor.send({ type: "client.send", id: "local", payload: "mine" });
    supervisor.send({ type: "client.send", id: "elsewhere", payload: "psst" });
    supervisor.send({ type: "client.emit", id: "elsewhere", event: "poke", data: [1] });
    supervisor.send({ type: "room.join", id: "elsewhere", room: "lobby" });
    supervisor.send({ type: "room.leave", id: "elsewhere", room: "lobby" });
    expect(local.sent()).toEqual(['{"type":"message","data":"mine"}']);
    expect(published).toEqual([
      { kind: "whisper", id: "elsewhere", payload: "psst" },
      { kind: "emit", id: "elsewhere", event: "poke", data: [1] },
      { kind: "join", id: "elsewhere", room: "lobby" },
      { kind: "leave", id: "elsewhere", room: "lobby" },
    ]);
  });

  it("drops commands from another node for ids it does not hold, without echoing them", () => {
    const { supervisor, published } = startClustered();
    supervisor.send({ type: "client.send", id: "nobody", payload: "x", remote: true });
    supervisor.send({ type: "client.emit", id: "nobody", event: "e", data: 1, remote: true });
    supervisor.send({ type: "room.join", id: "nobody", room: "r", remote: true });
    supervisor.send({ type: "room.leave", id: "nobody", room: "r", remote: true });
    supervisor.send({ type: "channel.close", room: "r", report: () => {}, remote: true });
    expect(published).toEqual([]);
  });

  it("reports presence once per change: joins, leaves, a stream's channel and a disconnect", () => {
    const { supervisor, presence, accept } = startClustered();
    accept("stream", ["news"]);
    accept("ws");
    supervisor.send({ type: "room.join", id: "ws", room: "lobby" });
    supervisor.send({ type: "room.join", id: "ws", room: "lobby" }); // already in: no change
    supervisor.send({ type: "room.join", id: "ws", room: "games" });
    supervisor.send({ type: "room.leave", id: "ws", room: "lobby" });
    supervisor.send({ type: "room.leave", id: "ws", room: "lobby" }); // already out
    supervisor.send({ type: "connection.closed", id: "ws", code: CloseCode.NORMAL, reason: "" });
    expect(presence).toEqual([
      { id: "stream", rooms: ["news"], action: "join" },
      { id: "ws", rooms: ["lobby"], action: "join" },
      { id: "ws", rooms: ["games"], action: "join" },
      { id: "ws", rooms: ["lobby"], action: "leave" },
      { id: "ws", rooms: ["games"], action: "leave" },
    ]);
  });

  it("publishes a channel close made here", () => {
    const { supervisor, published } = startClustered();
    let closed: number | undefined;
    supervisor.send({
      type: "channel.close",
      room: "news",
      report: (count) => {
        closed = count;
      },
    });
    expect(closed).toBe(0);
    expect(published).toEqual([{ kind: "close", room: "news" }]);
  });
});
