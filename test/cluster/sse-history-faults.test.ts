/**
 * Shared SSE histories when Redis goes away: each test starts its own `redis-server` on a free
 * port (and, to cut one broker off while Redis keeps its data, a TCP proxy in front of it).
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseStreamEventId } from "../../src/cluster/stream-ids.js";
import { type Broker, createBroker, redisAdapter } from "../../src/index.js";
import { openStream, publish, type RawStream, uniqueChannel } from "../sse/sse-helpers.js";
import { redisServerSkipReason, startRedisServer, until } from "./redis-helpers.js";
import { startProxy } from "./tcp-proxy.js";

const noServer = redisServerSkipReason();

const brokers: Broker[] = [];

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((broker) => broker.close()));
});

interface Node {
  readonly broker: Broker;
  readonly port: number;
}

async function brokerOn(url: string): Promise<Node> {
  const broker = createBroker({
    port: 0,
    host: "127.0.0.1",
    adapter: redisAdapter({ url, prefix: "sse-faults" }),
  });
  brokers.push(broker);
  // Outages are reported as error events; these tests look at the streams instead.
  broker.on("error", () => {});
  const { port } = await broker.listen();
  return { broker, port };
}

const connected = (node: Node, value: boolean) => () =>
  node.broker.stats().adapter.connected === value ? true : undefined;

const listen = (node: Node, channel: string, lastEventId?: string): Promise<RawStream> =>
  openStream(
    node.port,
    `/events/${channel}`,
    lastEventId === undefined ? {} : { headers: { "Last-Event-ID": lastEventId } },
  );

async function expectUnrecovered(stream: RawStream): Promise<void> {
  const first = await stream.next();
  expect(first.type).toBe("recovery");
  expect(JSON.parse(first.data)).toEqual({ recovered: false });
}

/** Posts `tick`; returns the answer's id (undefined when the event got none). */
async function tick(node: Node, channel: string, body: string): Promise<string | undefined> {
  return (await publish(node.port, channel, "tick", body)).id;
}

describe.skipIf(noServer !== undefined)("shared SSE history faults", () => {
  it("delivers without ids while Redis is down, then starts a new epoch when it comes back empty", async () => {
    const redis = await startRedisServer();
    const a = await brokerOn(redis.url);
    const channel = uniqueChannel("down");
    const stream = await listen(a, channel);
    const before = await tick(a, channel, "1");
    expect(await stream.next()).toEqual({ type: "tick", data: "1", lastEventId: before });

    await redis.kill();
    await until(connected(a, false), "A to notice the outage");
    // Local delivery goes on, without an id: the answer has none, the stream gets none.
    expect(await publish(a.port, channel, "tick", "2")).toEqual({ delivered: 1 });
    expect(await stream.next()).toEqual({ type: "tick", data: "2", lastEventId: before });
    expect(stream.text).toContain(
      `id: ${before}\nevent: tick\ndata: 1\n\nevent: tick\ndata: 2\n\n`,
    );
    // A reconnect meanwhile cannot be checked against the history: recovered:false, then live.
    const meanwhile = await listen(a, channel, before);
    await expectUnrecovered(meanwhile);

    await redis.start();
    await until(connected(a, true), "A to reconnect");
    // The streams are ended so that their clients resume from the shared history.
    await Promise.all([stream.ended, meanwhile.ended]);
    const resumed = await listen(a, channel, before);
    // Redis came back empty: the history is gone, and the old id belongs to a lost epoch.
    await expectUnrecovered(resumed);
    const after = await tick(a, channel, "3");
    expect(parseStreamEventId(after ?? "")?.epoch).not.toBe(
      parseStreamEventId(before ?? "")?.epoch,
    );
    expect(await resumed.next()).toEqual({ type: "tick", data: "3", lastEventId: after });
    resumed.destroy();
  });

  it("marks the gap left by a node cut off from Redis, so older ids are not replayed across it", async () => {
    const redis = await startRedisServer();
    const proxy = await startProxy(redis.port);
    const a = await brokerOn(proxy.url);
    const b = await brokerOn(redis.url);
    const channel = uniqueChannel("gap");
    const onA = await listen(a, channel);
    const onB = await listen(b, channel);
    const first = await tick(b, channel, "1");
    expect((await onA.next()).lastEventId).toBe(first);
    expect((await onB.next()).lastEventId).toBe(first);

    await proxy.cut();
    await until(connected(a, false), "A to lose Redis");
    // Posted on A while cut off: A's stream has it (no id), B's never will.
    expect(await tick(a, channel, "2")).toBeUndefined();
    expect(await onA.next()).toMatchObject({ data: "2", lastEventId: first });
    const third = await tick(b, channel, "3");
    expect(await onB.next()).toEqual({ type: "tick", data: "3", lastEventId: third });

    await proxy.restore();
    await until(connected(a, true), "A to reach Redis again");
    // A's stream missed "3" while A was cut off: it is ended to resume from the history.
    await onA.ended;
    const resumedOnA = await listen(a, channel, first);
    expect(await resumedOnA.next()).toEqual({ type: "tick", data: "3", lastEventId: third });

    const fourth = await tick(a, channel, "4");
    expect(parseStreamEventId(fourth ?? "")?.epoch).toBe(parseStreamEventId(first ?? "")?.epoch);
    expect(await onB.next()).toEqual({ type: "tick", data: "4", lastEventId: fourth });
    expect(await resumedOnA.next()).toEqual({ type: "tick", data: "4", lastEventId: fourth });

    // B's client saw 1 and 3 but never 2: resuming from 1 would hide that hole, so it is refused.
    const fromFirst = await listen(b, channel, first);
    await expectUnrecovered(fromFirst);
    // After the hole, replay works again.
    const fromFourth = await listen(b, channel, fourth);
    const fifth = await tick(b, channel, "5");
    expect(await fromFourth.next()).toEqual({ type: "tick", data: "5", lastEventId: fifth });
    expect(await fromFirst.next()).toEqual({ type: "tick", data: "5", lastEventId: fifth });
    for (const open of [onB, resumedOnA, fromFirst, fromFourth]) open.destroy();
  });
});
