/**
 * End to end: two brokers in two processes sharing the Redis at REDIS_URL (a unique prefix per
 * test), with real WebSocket, SSE and TCP clients attached to each.
 */
import { describe, expect, it } from "vitest";
import { post } from "../cli/cli-process.js";
import { connectLines, type LineClient } from "../helpers/line-client.js";
import { connectClient, type TestClient } from "../helpers/test-client.js";
import { openStream } from "../sse/sse-helpers.js";
import { type ClusterNodeProcess, startNode } from "./node-process.js";
import { redisSkipReason, tapChannel, uniquePrefix } from "./redis-helpers.js";

const skip = await redisSkipReason();

interface Member {
  readonly client: TestClient;
  readonly id: string;
}

let ackSequence = 0;
/** Sends a JSON frame with an id and resolves with the ack's data. */
async function ask(client: TestClient, type: string, data?: unknown): Promise<unknown> {
  ackSequence += 1;
  const id = ackSequence;
  client.send(JSON.stringify({ type, data, id }));
  const ack = await client.nextJson<{ type: string; id: number; data: unknown }>();
  expect(ack).toMatchObject({ type: "ack", id });
  return ack.data;
}

/** A JSON WebSocket client of `node`, in `rooms`, that knows its id. */
async function member(node: ClusterNodeProcess, ...rooms: string[]): Promise<Member> {
  const client = await connectClient(node.url);
  const id = String(await ask(client, "whoami"));
  for (const room of rooms) expect(await ask(client, "join", room)).toBe(true);
  return { client, id };
}

/** A TCP client of `node` in `room`. */
async function tcpMember(node: ClusterNodeProcess, room: string): Promise<LineClient> {
  const client = await connectLines(node.tcpPort);
  client.send({ type: "join", data: room, id: 1 });
  expect(await client.next()).toEqual({ type: "ack", id: 1, data: true });
  return client;
}

const message = (data: unknown) => ({ type: "message", data });

/** Two nodes of a fresh cluster, started side by side. */
async function twoNodes(label: string): Promise<[ClusterNodeProcess, ClusterNodeProcess]> {
  const prefix = uniquePrefix(label);
  return Promise.all([startNode(prefix), startNode(prefix)]);
}

describe.skipIf(skip !== undefined)("a cluster of two broker processes", () => {
  it("delivers every broadcast to every client of both nodes exactly once, with one publication", async () => {
    const prefix = uniquePrefix("once");
    const tap = await tapChannel(prefix);
    const [a, b] = await Promise.all([startNode(prefix), startNode(prefix)]);
    const clients = await Promise.all([member(a), member(a), member(b), member(b)]);
    // Each step waits for every client, so an echo of an earlier broadcast (a node delivering
    // its own publication again) would arrive before the next one and break the sequence.
    const steps: [ClusterNodeProcess, string][] = [
      [a, "one"],
      [b, "two"],
      [a, "three"],
      [b, "four"],
    ];
    for (const [node, payload] of steps) {
      await node.broadcast(payload);
      for (const { client } of clients) expect(await client.nextJson()).toEqual(message(payload));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const { client } of clients) expect(client.pending).toEqual([]);
    const broadcasts = tap.messages.filter((sent) => sent.kind === "broadcast");
    expect(broadcasts.map((sent) => sent.payload)).toEqual(["one", "two", "three", "four"]);
    expect(broadcasts[0]).toEqual({ v: 1, node: a.node, kind: "broadcast", payload: "one" });
    const [statsA, statsB] = await Promise.all([a.stats(), b.stats()]);
    expect(statsA.adapter).toMatchObject({ lost: 0, connected: true });
    expect(statsB.adapter.received).toBeGreaterThanOrEqual(2);
  });

  it("delivers a room broadcast to the room's members on both nodes, minus `except`", async () => {
    const [a, b] = await twoNodes("room");
    const [a1, a2, b1, b2, b3] = await Promise.all([
      member(a, "lobby"),
      member(a),
      member(b, "lobby"),
      member(b, "lobby"),
      member(b),
    ]);
    await a.broadcast("hi", { room: "lobby", except: [b2.id] });
    expect(await a1.client.nextJson()).toEqual(message("hi"));
    expect(await b1.client.nextJson()).toEqual(message("hi"));
    // A broadcast from B to everyone: the next frame of those left out must be this one.
    await b.broadcast("end");
    for (const { client } of [a1, a2, b1, b2, b3]) {
      expect(await client.nextJson()).toEqual(message("end"));
    }
  });

  it("whispers and emits to a client of the other node", async () => {
    const [a, b] = await twoNodes("whisper");
    const b1 = await member(b);
    expect(await a.command("whisper", b1.id, "psst")).toBe(true);
    expect(await b1.client.nextJson()).toEqual(message("psst"));
    expect(await a.command("emit", b1.id, "poke", { n: 1 })).toBe(true);
    expect(await b1.client.nextJson()).toEqual({ type: "poke", data: { n: 1 } });
    // An id no node holds: published (true), delivered nowhere, never an error.
    expect(await a.command("whisper", "no-such-client", "lost")).toBe(true);
    await b.broadcast("end");
    expect(await b1.client.nextJson()).toEqual(message("end"));
    expect(a.errors).toEqual([]);
  });

  it("joins and leaves a client of the other node to a room", async () => {
    const [a, b] = await twoNodes("join");
    const a1 = await member(a);
    expect(await b.command("join", a1.id, "lobby")).toBe(true);
    const joined = { room: "lobby", id: a1.id, action: "join", node: a.node };
    expect(await b.presence.next()).toEqual(joined);
    expect(await a.presence.next()).toEqual(joined);
    await b.broadcast("hi", { room: "lobby" });
    expect(await a1.client.nextJson()).toEqual(message("hi"));

    expect(await b.command("leave", a1.id, "lobby")).toBe(true);
    expect(await b.presence.next()).toEqual({ ...joined, action: "leave" });
    await b.broadcast("bye", { room: "lobby" });
    await b.broadcast("end");
    expect(await a1.client.nextJson()).toEqual(message("end"));
  });

  it("delivers an SSE POST on either node to SSE, WebSocket and TCP members of both", async () => {
    const [a, b] = await twoNodes("sse");
    const a1 = await member(a, "news");
    const stream = await openStream(Number(new URL(b.base).port), "/events/news");
    const b1 = await member(b, "news");
    // Every join above was acknowledged (a stream is admitted before its response head is sent).
    const tcp = await tcpMember(b, "news");

    const fromA = await post(`${a.base}/events/news/update`, "hello");
    expect(fromA.status).toBe(202);
    // `delivered` counts this node's clients only.
    expect(JSON.parse(fromA.body)).toMatchObject({ delivered: 1 });
    expect(await a1.client.nextJson()).toEqual({ type: "update", data: "hello" });
    expect(await stream.next()).toMatchObject({ type: "update", data: "hello" });
    expect(await b1.client.nextJson()).toEqual({ type: "update", data: "hello" });
    expect(await tcp.next()).toEqual({ type: "update", data: "hello" });

    const fromB = await post(`${b.base}/events/news/quote`, '{"price":42}', "application/json");
    expect(JSON.parse(fromB.body)).toMatchObject({ delivered: 3 });
    expect(await a1.client.nextJson()).toEqual({ type: "quote", data: { price: 42 } });
  });

  it("accepts a POST to a channel whose members are all on the other node, and closes it there", async () => {
    const [a, b] = await twoNodes("remote-channel");
    const stream = await openStream(Number(new URL(b.base).port), "/events/quotes");
    await a.presence.next(); // A has heard of the stream joining on B
    const posted = await post(`${a.base}/events/quotes/tick`, "1");
    expect(posted.status).toBe(202);
    // B made the channel's shared history when the stream joined: the post gets its id.
    const answer = JSON.parse(posted.body) as { delivered: number; id: string };
    expect(answer).toEqual({ delivered: 0, id: expect.any(String) });
    expect(await stream.next()).toEqual({ type: "tick", data: "1", lastEventId: answer.id });

    const closed = await post(`${a.base}/events/quotes/close`, "");
    expect({ status: closed.status, body: JSON.parse(closed.body) }).toEqual({
      status: 202,
      body: { delivered: 0 },
    });
    await stream.ended;
  });

  it("answers fetchClients and fetchRoom with the clients of every node", async () => {
    const [a, b] = await twoNodes("fetch");
    const [a1, b1, b2] = await Promise.all([member(a, "lobby"), member(b, "lobby"), member(b)]);
    const everyone = await a.fetchClients(500);
    const describe = (id: string, node: string, rooms: string[]) => ({
      id,
      node,
      address: "127.0.0.1",
      transport: "websocket",
      protocol: "json",
      rooms,
    });
    const byId = (x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id);
    expect([...everyone].sort(byId)).toEqual(
      [
        describe(a1.id, a.node, ["lobby"]),
        describe(b1.id, b.node, ["lobby"]),
        describe(b2.id, b.node, []),
      ].sort(byId),
    );
    const lobby = await b.command<{ id: string }[]>("fetchRoom", "lobby", 500);
    expect(lobby.map(({ id }) => id).sort()).toEqual([a1.id, b1.id].sort());
    expect(await b.command("fetchRoom", "nowhere", 200)).toEqual([]);
  });

  it("fires presence on every node for every join and leave, disconnects included", async () => {
    const [a, b] = await twoNodes("presence");
    const b1 = await member(b, "lobby");
    const joined = { room: "lobby", id: b1.id, action: "join", node: b.node };
    expect(await a.presence.next()).toEqual(joined);
    expect(await b.presence.next()).toEqual(joined);
    b1.client.close();
    expect(await a.presence.next()).toEqual({ ...joined, action: "leave" });
    expect(await b.presence.next()).toEqual({ ...joined, action: "leave" });

    // An SSE stream joins its channel's room.
    await openStream(Number(new URL(a.base).port), "/events/ticker");
    expect(await b.presence.next()).toMatchObject({ room: "ticker", action: "join", node: a.node });
  });
});
