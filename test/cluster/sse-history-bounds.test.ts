/**
 * The bounds of a shared (Redis Streams) SSE history, `sse.history.maxEvents` and `maxAgeMs`,
 * with a broker in this process on the Redis at REDIS_URL (a unique prefix per test).
 */
import { describe, expect, it } from "vitest";
import type { ParsedEvent } from "../../protocols/event-source-parser.js";
import { parseStreamEventId } from "../../src/cluster/stream-ids.js";
import { redisAdapter } from "../../src/index.js";
import { startBroker } from "../helpers/test-broker.js";
import { openStream, type RawStream, uniqueChannel } from "../sse/sse-helpers.js";
import {
  probeConnection,
  REDIS_URL,
  redisSkipReason,
  uniquePrefix,
  until,
} from "./redis-helpers.js";

const skip = await redisSkipReason();

async function withRedis<T>(
  use: (redis: ReturnType<typeof probeConnection>) => Promise<T>,
): Promise<T> {
  const redis = probeConnection(REDIS_URL);
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** The first event of a reconnecting stream must be `recovery: {recovered:false}`. */
async function expectUnrecovered(stream: RawStream): Promise<void> {
  const first = await stream.next();
  expect(first.type).toBe("recovery");
  expect(JSON.parse(first.data)).toEqual({ recovered: false });
}

describe.skipIf(skip !== undefined)("shared SSE history bounds", () => {
  it("keeps the stream near maxEvents and replays at most maxEvents", async () => {
    const prefix = uniquePrefix("sse-maxlen");
    const { broker, port } = await startBroker({
      adapter: redisAdapter({ url: REDIS_URL, prefix }),
      sse: { history: { maxEvents: 50 } },
    });
    const channel = uniqueChannel("maxlen");
    const stream = await openStream(port, `/events/${channel}`);
    for (let n = 0; n < 300; n += 1) broker.broadcast(String(n), { room: channel });
    const events: ParsedEvent[] = await stream.take(300);
    expect(events.map((event) => event.data)).toEqual(
      Array.from({ length: 300 }, (_, n) => `${n}`),
    );
    const ids = events.map((event) => event.lastEventId);

    const length = await withRedis((redis) => redis.xlen(`${prefix}:history:${channel}`));
    // MAXLEN ~ trims whole stream nodes (100 entries each by default): near 50, never 300.
    expect(length).toBeGreaterThanOrEqual(50);
    expect(length).toBeLessThanOrEqual(150);

    // Saw #249: missed the 50 newest, which are all replayed.
    const resumed = await openStream(port, `/events/${channel}`, {
      headers: { "Last-Event-ID": ids[249] ?? "" },
    });
    const replayed = await resumed.take(50);
    expect(replayed.map((event) => event.lastEventId)).toEqual(ids.slice(250));
    // Saw #248: 51 missed, one more than kept, so nothing is replayed.
    const tooOld = await openStream(port, `/events/${channel}`, {
      headers: { "Last-Event-ID": ids[248] ?? "" },
    });
    await expectUnrecovered(tooOld);
    broker.broadcast("live", { room: channel });
    expect((await resumed.next()).data).toBe("live");
    expect((await tooOld.next()).data).toBe("live");
    for (const open of [stream, resumed, tooOld]) open.destroy();
  });

  it("replays nothing older than maxAgeMs, by the clock of Redis that made the ids", async () => {
    const prefix = uniquePrefix("sse-maxage");
    const { broker, port } = await startBroker({
      adapter: redisAdapter({ url: REDIS_URL, prefix }),
      sse: { history: { maxAgeMs: 1_000 } },
    });
    const channel = uniqueChannel("maxage");
    const stream = await openStream(port, `/events/${channel}`);
    broker.broadcast("first", { room: channel });
    broker.broadcast("second", { room: channel });
    const [first, second] = await stream.take(2);
    const secondMs = parseStreamEventId(second?.lastEventId ?? "")?.ms ?? 0;

    // Fresh enough: replayed.
    const early = await openStream(port, `/events/${channel}`, {
      headers: { "Last-Event-ID": first?.lastEventId ?? "" },
    });
    expect((await early.next()).data).toBe("second");

    // Once Redis's clock is past the age limit of the missed event, it is not replayed.
    await withRedis((redis) =>
      until(async () => {
        const [seconds, micros] = await redis.time();
        const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
        return nowMs - secondMs > 1_000 ? true : undefined;
      }, "Redis's clock to pass the age limit"),
    );
    const late = await openStream(port, `/events/${channel}`, {
      headers: { "Last-Event-ID": first?.lastEventId ?? "" },
    });
    await expectUnrecovered(late);
    for (const open of [stream, early, late]) open.destroy();
  });
});
