/**
 * `close()` with the Redis adapter: once it has resolved, nothing the application does on that
 * broker reaches Redis, on any channel under the cluster's prefix. A raw subscriber of the
 * test's own listens to the whole prefix (PSUBSCRIBE `<prefix>*`).
 */
import { describe, expect, it } from "vitest";
import { type Broker, type ClientHandle, json, redisAdapter } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";
import {
  connectionNames,
  probeConnection,
  REDIS_URL,
  redisSkipReason,
  uniquePrefix,
  until,
} from "./redis-helpers.js";

const skip = await redisSkipReason();

interface Heard {
  readonly channel: string;
  readonly message: {
    readonly node?: string;
    readonly kind?: string;
    readonly action?: string;
    readonly payload?: unknown;
  };
}

/** Every message published on any channel starting with `prefix`, in the order Redis sent it. */
async function tapPrefix(prefix: string) {
  const subscriber = probeConnection(REDIS_URL);
  const heard: Heard[] = [];
  subscriber.on("pmessage", (_pattern: string, channel: string, text: string) => {
    heard.push({ channel, message: JSON.parse(text) as Heard["message"] });
  });
  await subscriber.connect();
  await subscriber.psubscribe(`${prefix}*`);
  return { heard, close: () => subscriber.disconnect() };
}

async function clusterBroker(prefix: string): Promise<{ broker: Broker; url: string }> {
  const { broker, url } = await startBroker({
    protocol: json(),
    adapter: redisAdapter({ url: REDIS_URL, prefix }),
  });
  return { broker, url };
}

async function clientOf(broker: Broker, url: string): Promise<string> {
  const connected = nextEvent<[ClientHandle]>(broker, "connect");
  await connectClient(url);
  return (await connected)[0].id;
}

describe.skipIf(skip !== undefined)("close() with the Redis adapter", () => {
  it("publishes nothing after it resolves, whatever the application calls afterwards", async () => {
    const prefix = uniquePrefix("closed");
    const tap = await tapPrefix(prefix);
    try {
      const a = await clusterBroker(prefix);
      const b = await clusterBroker(prefix);
      const here = await clientOf(a.broker, a.url);
      const there = await clientOf(b.broker, b.url);
      a.broker.join(here, "lobby");
      // The tap hears A while A is up: without this the test could pass on a deaf tap.
      a.broker.broadcast("before");
      const heardBefore = () =>
        tap.heard.some(({ message }) => message.payload === "before") ? true : undefined;
      await until(heardBefore, "A's broadcast before close");

      await a.broker.close();
      const { published } = a.broker.stats().adapter;

      // Everything an application might still call: timers, queued work, late callbacks.
      a.broker.broadcast("after");
      a.broker.broadcast("after", { room: "lobby" });
      a.broker.whisper(there, "after");
      a.broker.emit(there, "after", ["after"]);
      a.broker.join(there, "after");
      a.broker.leave(there, "lobby");
      a.broker.setTimeout(() => a.broker.broadcast("after"), 0);
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          a.broker.broadcast("after");
          resolve();
        }, 0),
      );
      await a.broker.fetchClients({ timeout: 50 }).catch(() => []);

      // A holds no connection to Redis any more, so nothing of it can still be on its way.
      expect(await connectionNames(`${prefix}:${a.broker.nodeId}`)).toEqual([]);
      expect(a.broker.stats().adapter).toMatchObject({ published, connected: false });
      // Whatever A published reached Redis before its connection closed, so before this.
      b.broker.broadcast("sentinel");
      const heardSentinel = () =>
        tap.heard.some(({ message }) => message.payload === "sentinel") ? true : undefined;
      await until(heardSentinel, "B's sentinel");

      const fromA = tap.heard.filter(({ message }) => message.node === a.broker.nodeId);
      expect(fromA.map(({ channel }) => channel)).toEqual(fromA.map(() => `${prefix}:cluster`));
      expect(fromA.map(({ message }) => message.payload)).not.toContain("after");
      // Its client's join, the broadcast, and the client's leave while close() drained it.
      expect(fromA.map(({ message }) => [message.kind, message.action ?? message.payload])).toEqual(
        [
          ["presence", "join"],
          ["broadcast", "before"],
          ["presence", "leave"],
        ],
      );
    } finally {
      tap.close();
    }
  });

  it("publishes what disconnect listeners broadcast while it drains, the last one included", async () => {
    // A chat server announces "alice left" from its disconnect listener; on close() every
    // client leaves, and the other nodes' clients should hear each announcement.
    const prefix = uniquePrefix("farewell");
    const a = await clusterBroker(prefix);
    const b = await clusterBroker(prefix);
    const listener = await connectClient(b.url);
    const leaving = [await clientOf(a.broker, a.url), await clientOf(a.broker, a.url)];
    a.broker.on("disconnect", (client) => {
      a.broker.broadcast(`bye ${client.id}`);
    });
    await a.broker.close();
    const heard = [await listener.nextJson(2_000), await listener.nextJson(2_000)];
    expect(heard).toEqual(
      expect.arrayContaining(leaving.map((id) => ({ type: "message", data: `bye ${id}` }))),
    );
  });
});
