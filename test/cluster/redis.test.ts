/**
 * The Redis adapter with brokers in this process and the shared Redis at REDIS_URL: the wire
 * format on `<prefix>:cluster`, one publication per broadcast, unreadable messages, closing.
 */
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import {
  type Broker,
  type BrokerError,
  ErrorCode,
  json,
  type PresenceEvent,
  redisAdapter,
} from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient, type TestClient } from "../helpers/test-client.js";
import {
  connectionNames,
  publishRaw,
  REDIS_URL,
  redisSkipReason,
  tapChannel,
  uniquePrefix,
  until,
} from "./redis-helpers.js";

const skip = await redisSkipReason();

/** A broker in cluster `prefix`, recording its error events. */
async function clusterBroker(prefix: string) {
  const started = await startBroker({
    protocol: json(),
    adapter: redisAdapter({ url: REDIS_URL, prefix }),
  });
  const errors: BrokerError[] = [];
  started.broker.on("error", (_client, error) => {
    errors.push(error);
  });
  return { ...started, errors };
}

/** A JSON client of `broker` and its id. */
async function clientOf(broker: Broker, url: string): Promise<{ client: TestClient; id: string }> {
  const connected = nextEvent<[{ id: string }]>(broker, "connect");
  const client = await connectClient(url);
  const [{ id }] = await connected;
  return { client, id };
}

describe.skipIf(skip !== undefined)("redisAdapter", () => {
  it("publishes one message per broadcast, whatever the number of recipients", async () => {
    const prefix = uniquePrefix("fanout");
    const tap = await tapChannel(prefix);
    const a = await clusterBroker(prefix);
    const b = await clusterBroker(prefix);
    const clients = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        clientOf(index % 2 ? a.broker : b.broker, index % 2 ? a.url : b.url),
      ),
    );
    await until(() => (tap.messages.length === 0 ? true : undefined), "a quiet channel");
    a.broker.broadcast("hi");
    for (const { client } of clients) {
      expect(await client.nextJson()).toEqual({ type: "message", data: "hi" });
    }
    expect(tap.messages).toEqual([
      { v: 1, node: a.broker.nodeId, kind: "broadcast", payload: "hi" },
    ]);
  });

  it("sends every kind of message in the documented format", async () => {
    const prefix = uniquePrefix("format");
    const tap = await tapChannel(prefix);
    const a = await clusterBroker(prefix);
    const b = await clusterBroker(prefix);
    const { id } = await clientOf(b.broker, b.url);
    const node = a.broker.nodeId;
    const presence = nextEvent<[PresenceEvent]>(a.broker, "presence");
    a.broker.broadcast({ type: "tick", data: 1 }, { room: "r", except: ["x"] });
    expect(a.broker.whisper(id, "psst")).toBe(true);
    expect(a.broker.emit(id, "poke", [1])).toBe(true);
    expect(a.broker.join(id, "lobby")).toBe(true);
    await presence;
    expect(a.broker.leave(id, "lobby")).toBe(true);
    const fetched = await a.broker.fetchRoom("nowhere", { timeout: 300 });
    expect(fetched).toEqual([]);
    await until(() => (tap.messages.length >= 9 ? true : undefined), "nine messages");
    const bNode = b.broker.nodeId;
    expect(tap.messages.slice(0, 4)).toEqual([
      {
        v: 1,
        node,
        kind: "broadcast",
        payload: { type: "tick", data: 1 },
        room: "r",
        except: ["x"],
      },
      { v: 1, node, kind: "whisper", id, payload: "psst" },
      { v: 1, node, kind: "emit", id, event: "poke", data: [1] },
      { v: 1, node, kind: "join", id, room: "lobby" },
    ]);
    expect(tap.messages).toContainEqual({
      v: 1,
      node: bNode,
      kind: "presence",
      id,
      rooms: ["lobby"],
      action: "join",
    });
    expect(tap.messages).toContainEqual({ v: 1, node, kind: "leave", id, room: "lobby" });
    const fetch = tap.messages.find((message) => message.kind === "fetch");
    expect(fetch).toEqual({
      v: 1,
      node,
      kind: "fetch",
      request: expect.any(String),
      room: "nowhere",
    });
    expect(tap.messages).toContainEqual({
      v: 1,
      node: bNode,
      kind: "reply",
      request: fetch?.request,
      to: node,
      clients: [],
    });
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it("ignores and reports a message it cannot read, and goes on", async () => {
    const prefix = uniquePrefix("garbage");
    const a = await clusterBroker(prefix);
    const { client } = await clientOf(a.broker, a.url);
    await publishRaw(prefix, "{not json");
    await publishRaw(prefix, JSON.stringify({ v: 2, node: "future", kind: "broadcast" }));
    await publishRaw(
      prefix,
      JSON.stringify({ v: 1, node: "other", kind: "broadcast", payload: "still here" }),
    );
    expect(await client.nextJson()).toEqual({ type: "message", data: "still here" });
    expect(a.errors.map((error) => [error.code, error.message])).toEqual([
      [
        ErrorCode.ADAPTER_MESSAGE,
        `Redis adapter: ignored a message on ${prefix}:cluster: not JSON`,
      ],
      [
        ErrorCode.ADAPTER_MESSAGE,
        `Redis adapter: ignored a message on ${prefix}:cluster: unsupported protocol version 2`,
      ],
    ]);
    expect(a.broker.stats().adapter.received).toBe(1);
  });

  it("counts a payload JSON cannot carry as lost, and reports it", async () => {
    const prefix = uniquePrefix("bigint");
    const a = await clusterBroker(prefix);
    await clientOf(a.broker, a.url);
    a.broker.broadcast({ big: 1n });
    await until(() => (a.errors.length === 2 ? true : undefined), "two error events");
    // Once by the codec (nothing sent here), once by the adapter (nothing sent elsewhere).
    expect(a.errors.map((error) => error.code)).toEqual([
      ErrorCode.ENCODE_FAILED,
      ErrorCode.ENCODE_FAILED,
    ]);
    expect(a.errors[1]?.message).toMatch(/^Redis adapter: cannot send a broadcast to other nodes/);
    expect(a.broker.stats().adapter).toMatchObject({ lost: 1, published: 0 });
  });

  it("publishes nothing once close() has resolved, and leaves no connection behind", async () => {
    const prefix = uniquePrefix("close");
    const tap = await tapChannel(prefix);
    const a = await clusterBroker(prefix);
    const b = await clusterBroker(prefix);
    const { id } = await clientOf(a.broker, a.url);
    a.broker.join(id, "lobby");
    const names = (node: string) => [`${prefix}:${node}:pub`, `${prefix}:${node}:sub`];
    expect((await connectionNames(prefix)).sort()).toEqual(
      [...names(a.broker.nodeId), ...names(b.broker.nodeId)].sort(),
    );
    await a.broker.close();
    // The client's leave went out before close() resolved.
    expect(tap.messages.at(-1)).toMatchObject({ kind: "presence", action: "leave", id });
    const seen = tap.messages.length;
    expect(a.broker.stats().adapter.connected).toBe(false);
    // A question A would have answered while it was up.
    expect(await b.broker.fetchClients({ timeout: 300 })).toEqual([]);
    expect(tap.messages.slice(seen).map((message) => [message.node, message.kind])).toEqual([
      [b.broker.nodeId, "fetch"],
    ]);
    await until(
      async () =>
        (await connectionNames(`${prefix}:${a.broker.nodeId}`)).length === 0 ? true : undefined,
      "A's connections to close",
      2_000,
    );
  });

  it("takes its settings from a given client without using or closing that client", async () => {
    const prefix = uniquePrefix("client");
    const given = new Redis(REDIS_URL, { lazyConnect: true });
    const a = await startBroker({ adapter: redisAdapter({ client: given, prefix }) });
    const b = await clusterBroker(prefix);
    const { client } = await clientOf(b.broker, b.url);
    a.broker.broadcast("via duplicates");
    expect(await client.nextJson()).toEqual({ type: "message", data: "via duplicates" });
    await a.broker.close();
    expect(given.status).toBe("wait");
  });

  it("refuses to serve a second broker", async () => {
    const adapter = redisAdapter({ prefix: uniquePrefix("twice") });
    await startBroker({ adapter });
    const second = await startBroker({ adapter }).catch((error: unknown) => error);
    expect(second).toMatchObject({ code: ErrorCode.INVALID_STATE });
  });
});
