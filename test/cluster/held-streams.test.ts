/**
 * Held SSE streams of Redis-shared channels, found in review: a close must come after what a
 * stream is owed, a hung Redis must not hold a stream for good, and a resuming stream's replay
 * comes before what is sent to it meanwhile. Each failed on the code it was written against.
 */
import { describe, expect, it } from "vitest";
import type { ClientHandle } from "../../src/index.js";
import { redisAdapter } from "../../src/index.js";
import {
  probeConnection,
  REDIS_URL,
  redisServerSkipReason,
  redisSkipReason,
  startRedisServer,
  uniquePrefix,
} from "../cluster/redis-helpers.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { openStream, uniqueChannel } from "../sse/sse-helpers.js";

const skip = await redisSkipReason();
const noServer = redisServerSkipReason();

async function sharedBroker(url = REDIS_URL) {
  return startBroker({ adapter: redisAdapter({ url, prefix: uniquePrefix("review2-held") }) });
}

describe.skipIf(skip !== undefined)("held streams (Redis channels) and broker.close()", () => {
  it("close() delivers a channel broadcast and a whisper made before it to a stream, then ends it", async () => {
    const { broker, port } = await sharedBroker();
    const channel = uniqueChannel("review2-close");
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const stream = await openStream(port, `/events/${channel}`);
    const [listener] = await connected;
    broker.broadcast("first", { room: channel });
    broker.whisper(listener.id, "second");
    await broker.close();
    await stream.ended;
    // README: close() delivers the frames already queued, then ends every client.
    expect(stream.text).toContain("data: first");
    expect(stream.text).toContain("data: second");
  });
});

describe.skipIf(skip !== undefined)("held streams (Redis channels) and closing one client", () => {
  it("client.close() ends a stream after the channel broadcast and whisper made before it", async () => {
    const { broker, port } = await sharedBroker();
    const channel = uniqueChannel("review2-disconnect");
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const stream = await openStream(port, `/events/${channel}`);
    const [listener] = await connected;
    broker.broadcast("first", { room: channel });
    broker.whisper(listener.id, "second");
    listener.close();
    await stream.ended;
    // As for a WebSocket client (and a stream on the memory adapter): sent, then closed.
    expect(stream.text).toContain("data: first");
    expect(stream.text).toContain("data: second");
  });
});

describe.skipIf(noServer !== undefined)("held streams (Redis channels) when Redis hangs", () => {
  it("a stream's whisper is not held forever behind a channel delivery Redis never answers", async () => {
    const redis = await startRedisServer();
    const { broker, port } = await sharedBroker(redis.url);
    broker.on("error", () => {});
    const channel = uniqueChannel("review2-hang");
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const stream = await openStream(port, `/events/${channel}`);
    const [listener] = await connected;
    // Redis stops answering (a hung server, or a partition with no RST): nothing is refused,
    // nothing is answered. The private server is killed after the test.
    const pauser = probeConnection(redis.url);
    pauser.on("error", () => {});
    await pauser.connect();
    await pauser.call("CLIENT", "PAUSE", "600000", "ALL");
    pauser.disconnect();
    broker.broadcast("first", { room: channel });
    broker.whisper(listener.id, "second");
    // A WebSocket client would have both at once; the stream gets them in order, in bounded time.
    const data = (await stream.take(2, 10_000)).map((event) => event.data);
    expect(data).toEqual(["first", "second"]);
    stream.destroy();
  }, 20_000);
});

describe.skipIf(skip !== undefined)("held streams (Redis channels) and resuming", () => {
  it("a whisper sent as a stream resumes comes after its replay, as without Redis", async () => {
    const { broker, port } = await sharedBroker();
    const channel = uniqueChannel("held-resume");
    const first = nextEvent<[ClientHandle]>(broker, "connect");
    const stream = await openStream(port, `/events/${channel}`);
    await first;
    broker.broadcast("seen", { room: channel });
    const seen = await stream.next();
    expect(seen.data).toBe("seen");
    const gone = nextEvent<[ClientHandle]>(broker, "disconnect");
    stream.destroy();
    await gone;
    broker.broadcast("missed", { room: channel });
    // The resuming stream is welcomed by a connect listener, while its replay is being read.
    broker.on("connect", (client) => {
      if (client.transport === "sse") client.send("welcome");
    });
    const again = await openStream(port, `/events/${channel}`, {
      headers: { "Last-Event-ID": seen.lastEventId },
    });
    const [missed, welcome] = await again.take(2);
    expect([missed?.data, welcome?.data]).toEqual(["missed", "welcome"]);
    again.destroy();
  });
});
