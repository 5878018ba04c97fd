/**
 * SSE ids and replay across nodes: two brokers in two processes sharing the Redis at REDIS_URL
 * (a unique prefix per test) keep each channel's history in one Redis Stream, so a client may
 * resume on either node.
 */
import { describe, expect, it } from "vitest";
import type { ParsedEvent } from "../../protocols/event-source-parser.js";
import { isAfter, parseStreamEventId, type StreamEventId } from "../../src/cluster/stream-ids.js";
import {
  type Delivery,
  openStream,
  publish,
  type RawStream,
  uniqueChannel,
} from "../sse/sse-helpers.js";
import { type ClusterNodeProcess, startNode } from "./node-process.js";
import { probeConnection, REDIS_URL, redisSkipReason, uniquePrefix } from "./redis-helpers.js";

const skip = await redisSkipReason();

const portOf = (node: ClusterNodeProcess): number => Number(new URL(node.base).port);

function parsed(id: string | undefined): StreamEventId {
  const value = parseStreamEventId(id ?? "");
  if (!value) throw new Error(`not a shared history id: ${String(id)}`);
  return value;
}

/** Posts `tick` with `body` to `channel` on `node`; the answer must carry an id. */
async function tick(node: ClusterNodeProcess, channel: string, body: string): Promise<string> {
  const delivery: Delivery = await publish(portOf(node), channel, "tick", body);
  if (delivery.id === undefined) throw new Error(`no id for ${body}`);
  return delivery.id;
}

/** A stream on `node`; the node has admitted it (and started the channel's history) once this resolves. */
function listen(
  node: ClusterNodeProcess,
  channel: string,
  lastEventId?: string,
): Promise<RawStream> {
  return openStream(
    portOf(node),
    `/events/${channel}`,
    lastEventId === undefined ? {} : { headers: { "Last-Event-ID": lastEventId } },
  );
}

/** Reads until the event with id `lastId` has arrived; returns every event read. */
async function readThrough(stream: RawStream, lastId: string): Promise<ParsedEvent[]> {
  const events: ParsedEvent[] = [];
  while (events.at(-1)?.lastEventId !== lastId) events.push(await stream.next());
  return events;
}

function expectIncreasing(ids: readonly string[]): void {
  for (let index = 1; index < ids.length; index += 1) {
    expect(
      isAfter(parsed(ids[index]), parsed(ids[index - 1])),
      `${ids[index]} after ${ids[index - 1]}`,
    ).toBe(true);
  }
}

describe.skipIf(skip !== undefined)("SSE history shared by two broker processes", () => {
  it("resumes on the other node with exactly the missed events while posts arrive on both", async () => {
    const prefix = uniquePrefix("sse-resume");
    const [a, b] = await Promise.all([startNode(prefix), startNode(prefix)]);
    const channel = uniqueChannel("resume");
    const first = await listen(a, channel);

    // Seen on A: posts alternate between the nodes, ids still increase.
    const seenIds: string[] = [];
    for (let n = 1; n <= 4; n += 1) seenIds.push(await tick(n % 2 ? a : b, channel, `s${n}`));
    const seen = await first.take(4);
    expect(seen.map((event) => event.data)).toEqual(["s1", "s2", "s3", "s4"]);
    expect(seen.map((event) => event.lastEventId)).toEqual(seenIds);
    expectIncreasing(seenIds);
    first.destroy();

    // Missed while away.
    const bodies = new Map<string, string>();
    for (let n = 1; n <= 4; n += 1) {
      const body = `m${n}`;
      bodies.set(await tick(n % 2 ? b : a, channel, body), body);
    }

    // Posts keep coming on both nodes while the client reconnects to B.
    const postsOn = async (node: ClusterNodeProcess, label: string) => {
      for (let n = 1; n <= 15; n += 1) {
        const body = `${label}${n}`;
        bodies.set(await tick(node, channel, body), body);
      }
    };
    const posting = Promise.all([postsOn(a, "a"), postsOn(b, "b")]);
    const resumed = await listen(b, channel, seenIds.at(-1));
    await posting;

    const allIds = [...bodies.keys()].sort((x, y) => (isAfter(parsed(x), parsed(y)) ? 1 : -1));
    const received = await readThrough(resumed, allIds.at(-1) ?? "");
    // Exactly the missed and the concurrent events, once each, in id order, under their ids.
    expect(received.map((event) => event.type)).not.toContain("recovery");
    expect(received.map((event) => event.lastEventId)).toEqual(allIds);
    for (const event of received) expect(event.data).toBe(bodies.get(event.lastEventId));
    expect(received.slice(0, 4).map((event) => event.data)).toEqual(["m1", "m2", "m3", "m4"]);

    // Then live, from either node.
    const live = await tick(a, channel, "live");
    expect(await resumed.next()).toEqual({ type: "tick", data: "live", lastEventId: live });
    expect(resumed.events.pending).toEqual([]);
    resumed.destroy();
  });

  it("delivers the same ids to listeners on both nodes, whichever node was posted to", async () => {
    const prefix = uniquePrefix("sse-same-ids");
    const [a, b] = await Promise.all([startNode(prefix), startNode(prefix)]);
    const channel = uniqueChannel("same-ids");
    const onA = await listen(a, channel);
    const onB = await listen(b, channel);
    const posted = await Promise.all([
      tick(a, channel, "1"),
      tick(b, channel, "2"),
      tick(a, channel, "3"),
      tick(b, channel, "4"),
    ]);
    const [fromA, fromB] = await Promise.all([onA.take(4), onB.take(4)]);
    // Both nodes write the events in the same order: the order of their ids.
    expect(fromA).toEqual(fromB);
    const ids = fromA.map((event) => event.lastEventId);
    expect([...ids].sort()).toEqual([...posted].sort());
    expectIncreasing(ids);
    onA.destroy();
    onB.destroy();
  });

  it("draws a new epoch when the stream is lost: an old id gets recovered:false", async () => {
    const prefix = uniquePrefix("sse-epoch");
    const [a, b] = await Promise.all([startNode(prefix), startNode(prefix)]);
    const channel = uniqueChannel("epoch");
    // A listener stays on A throughout: the channel is one of A's.
    const watcher = await listen(a, channel);
    const first = await listen(b, channel);
    const old = await tick(b, channel, "before");
    expect((await first.next()).lastEventId).toBe(old);
    expect((await watcher.next()).lastEventId).toBe(old);

    // Redis loses the stream and its epoch (as after FLUSHDB or a restart with no data).
    const redis = probeConnection(REDIS_URL);
    await redis.connect();
    try {
      const keys = [`${prefix}:history:${channel}`, `${prefix}:history-meta:${channel}`];
      expect(await redis.exists(...keys)).toBe(2);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }

    const fresh = await tick(a, channel, "after");
    expect(parsed(fresh).epoch).not.toBe(parsed(old).epoch);
    expect(await watcher.next()).toEqual({ type: "tick", data: "after", lastEventId: fresh });
    // B has written it too before the client reconnects there, so it is not live news for it.
    expect((await first.next()).lastEventId).toBe(fresh);
    first.destroy();
    const resumed = await listen(b, channel, old);
    const recovery = await resumed.next();
    expect(recovery.type).toBe("recovery");
    expect(JSON.parse(recovery.data)).toEqual({ recovered: false });
    const live = await tick(b, channel, "live");
    expect(await resumed.next()).toEqual({ type: "tick", data: "live", lastEventId: live });
    expect(resumed.events.pending).toEqual([]);
    resumed.destroy();
    watcher.destroy();
  });
});
