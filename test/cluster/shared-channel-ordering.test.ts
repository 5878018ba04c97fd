/**
 * Ordering with a shared channel: with `redisAdapter()` and SSE on, a room that has a stream
 * listener on this node is a shared channel, and its streams get a broadcast only when its echo
 * comes back from Redis (with the id Redis gave it). Other members get it at once, and whatever
 * is sent to a stream after it waits behind it: one client gets this node's commands in the
 * order they were made, whichever path each took (direct delivery, the supervisor's mailbox, an
 * ack), and whether Redis answers or not.
 */
import { describe, expect, it } from "vitest";
import { type ClientHandle, redisAdapter } from "../../src/index.js";
import { startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";
import { openStream, uniqueChannel } from "../sse/sse-helpers.js";
import {
  REDIS_URL,
  redisServerSkipReason,
  redisSkipReason,
  startRedisServer,
  uniquePrefix,
  until,
} from "./redis-helpers.js";

const skip = await redisSkipReason();
const noServer = redisServerSkipReason();

/** A broker on the shared Redis with SSE on, and the handle of each client as it connects. */
async function sharedBroker(url = REDIS_URL) {
  const started = await startBroker({
    adapter: redisAdapter({ url, prefix: uniquePrefix("order") }),
  });
  const handles: ClientHandle[] = [];
  const waiting: ((handle: ClientHandle) => void)[] = [];
  started.broker.on("connect", (client) => {
    const next = waiting.shift();
    if (next) next(client);
    else handles.push(client);
  });
  const nextHandle = () =>
    new Promise<ClientHandle>((resolve) => {
      const ready = handles.shift();
      if (ready) resolve(ready);
      else waiting.push(resolve);
    });
  return { ...started, nextHandle };
}

describe.skipIf(skip !== undefined)("ordering with a shared (Redis) channel", () => {
  it("a whisper sent right after a room broadcast reaches a member after that broadcast", async () => {
    const { broker, url, port, nextHandle } = await sharedBroker();
    const channel = uniqueChannel("order");
    // An SSE listener makes the room a channel with a shared history on this node.
    const stream = await openStream(port, `/events/${channel}`);
    expect(stream.status).toBe(200);
    await nextHandle();

    const ws = await connectClient(url);
    const member = await nextHandle();
    expect(broker.join(member.id, channel)).toBe(true);

    broker.broadcast("first", { room: channel });
    broker.whisper(member.id, "second");

    const frames = [await ws.next(), await ws.next()];
    expect(frames).toEqual(["first", "second"]);
    stream.destroy();
  });

  it("keeps a listener's broadcast, whisper, emit, ack and unscoped broadcast in order", async () => {
    const { broker, url, port, nextHandle } = await sharedBroker();
    const channel = uniqueChannel("order-ack");
    const stream = await openStream(port, `/events/${channel}`);
    await nextHandle();
    const ws = await connectClient(url, { protocols: "switchboard.json" });
    const member = await nextHandle();
    broker.join(member.id, channel);
    broker.on("go", (client) => {
      broker.broadcast("room", { room: channel });
      client.send("whisper");
      broker.emit(client.id, "note", 1);
      broker.broadcast("everyone");
      return "ack";
    });
    ws.send(JSON.stringify({ type: "go", id: 7 }));
    const frames = [];
    for (let index = 0; index < 5; index += 1) frames.push(await ws.nextJson());
    expect(frames).toEqual([
      { type: "message", data: "room" },
      { type: "message", data: "whisper" },
      { type: "note", data: 1 },
      { type: "message", data: "everyone" },
      { type: "ack", id: 7, data: "ack" },
    ]);
    // The stream has the room broadcast under its Redis id, then the unscoped one.
    const [room, everyone] = await stream.take(2);
    expect(room).toMatchObject({ type: "message", data: "room" });
    expect(room?.lastEventId).toMatch(/^[^:]+:\d+-\d+$/);
    expect(everyone).toMatchObject({ type: "message", data: "everyone" });
    stream.destroy();
  });

  it("queues what is sent to a stream behind its channel's broadcast until the id comes", async () => {
    const { broker, port, nextHandle } = await sharedBroker();
    const channel = uniqueChannel("order-stream");
    const stream = await openStream(port, `/events/${channel}`);
    const listener = await nextHandle();
    broker.broadcast("first", { room: channel });
    broker.whisper(listener.id, "second");
    broker.emit(listener.id, "third", "3");
    broker.broadcast("fourth");
    const [first, ...rest] = await stream.take(4);
    expect(first).toMatchObject({ type: "message", data: "first" });
    const id = first?.lastEventId;
    expect(id).toMatch(/^[^:]+:\d+-\d+$/);
    // Frames without an id keep the last one, as EventSource does.
    expect(rest).toEqual([
      { type: "message", data: "second", lastEventId: id },
      { type: "third", data: "3", lastEventId: id },
      { type: "message", data: "fourth", lastEventId: id },
    ]);
    stream.destroy();
  });
});

describe.skipIf(noServer !== undefined)("ordering with a shared channel when Redis fails", () => {
  it("delivers a held broadcast and what queued behind it once each, in order", async () => {
    const redis = await startRedisServer();
    const { broker, url, port, nextHandle } = await sharedBroker(redis.url);
    // Outages are reported as error events; this test looks at the clients instead.
    broker.on("error", () => {});
    const channel = uniqueChannel("order-fault");
    const stream = await openStream(port, `/events/${channel}`);
    const listener = await nextHandle();
    const ws = await connectClient(url);
    const member = await nextHandle();
    broker.join(member.id, channel);

    // Redis dies with the broadcast in flight or just answered: whichever, nothing is lost,
    // doubled or reordered.
    broker.broadcast("first", { room: channel });
    broker.whisper(listener.id, "second");
    broker.whisper(member.id, "second");
    await redis.kill();
    await until(() => (broker.stats().adapter.connected ? undefined : true), "the outage");
    // Down: the broadcast goes out without an id, still ahead of what follows it.
    broker.broadcast("third", { room: channel });
    broker.whisper(listener.id, "fourth");
    broker.whisper(member.id, "fourth");

    const data = (await stream.take(4)).map((event) => event.data);
    expect(data).toEqual(["first", "second", "third", "fourth"]);
    expect([await ws.next(), await ws.next(), await ws.next(), await ws.next()]).toEqual([
      "first",
      "second",
      "third",
      "fourth",
    ]);
    // Nothing more came: a marker sent now is the next frame of each.
    broker.whisper(listener.id, "end");
    broker.whisper(member.id, "end");
    expect((await stream.next()).data).toBe("end");
    expect(await ws.next()).toBe("end");
    stream.destroy();
  });
});
