/**
 * Redis failures. Each test that needs a Redis starts its own `redis-server` on a free port, so
 * killing it disturbs no other test.
 */
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Broker,
  type BrokerError,
  createBroker,
  ErrorCode,
  json,
  redisAdapter,
} from "../../src/index.js";
import { freePort } from "../cli/cli-process.js";
import { nextEvent } from "../helpers/test-broker.js";
import { connectClient, type TestClient } from "../helpers/test-client.js";
import { redisServerSkipReason, startRedisServer, until } from "./redis-helpers.js";

const noServer = redisServerSkipReason();

const brokers: Broker[] = [];

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((broker) => broker.close()));
});

/** A listening broker on the Redis at `url`, recording its error events from the start. */
async function brokerOn(url: string, optional = false) {
  const broker = createBroker({
    port: 0,
    protocol: json(),
    adapter: redisAdapter({ url, prefix: "faults", optional }),
  });
  brokers.push(broker);
  const errors: BrokerError[] = [];
  broker.on("error", (_client, error) => {
    errors.push(error);
  });
  const { url: wsUrl } = await broker.listen();
  return { broker, url: wsUrl, errors };
}

async function clientOf(broker: Broker, url: string): Promise<TestClient> {
  const connected = nextEvent(broker, "connect");
  const client = await connectClient(url);
  await connected;
  return client;
}

const connected = (broker: Broker, value: boolean) => () =>
  broker.stats().adapter.connected === value ? true : undefined;

/** True once `port` can be bound again: nothing listens there. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

describe("redisAdapter faults", () => {
  it("makes listen() reject with SB_ERR_ADAPTER_UNAVAILABLE when Redis is unreachable, binding nothing", async () => {
    const redisPort = await freePort();
    const port = await freePort();
    const broker = createBroker({
      port,
      adapter: redisAdapter({ url: `redis://:secret@127.0.0.1:${redisPort}` }),
    });
    const failure = await broker.listen().catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: "BrokerError", code: ErrorCode.ADAPTER_UNAVAILABLE });
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^Redis adapter: cannot reach redis://127\\.0\\.0\\.1:${redisPort} \\(.*ECONNREFUSED`,
      ),
    );
    // The password never shows in messages.
    expect((failure as Error).message).not.toContain("secret");
    expect(await isFree(port)).toBe(true);
    await broker.close();
    expect(broker.stats().adapter).toEqual({
      published: 0,
      received: 0,
      lost: 0,
      connected: false,
    });
  });

  it.skipIf(noServer !== undefined)(
    "starts degraded with optional: true, then joins the cluster once Redis answers",
    async () => {
      const redisPort = await freePort();
      const url = `redis://127.0.0.1:${redisPort}`;
      const a = await brokerOn(url, true);
      const b = await brokerOn(url, true);
      for (const { errors } of [a, b]) {
        expect(errors.map((error) => error.code)).toEqual([ErrorCode.ADAPTER_UNAVAILABLE]);
        expect(errors[0]?.message).toMatch(/serving this node's clients alone until it answers$/);
      }
      const a1 = await clientOf(a.broker, a.url);
      const b1 = await clientOf(b.broker, b.url);
      a.broker.broadcast("alone");
      expect(await a1.nextJson()).toEqual({ type: "message", data: "alone" });
      expect(a.broker.stats().adapter).toMatchObject({ connected: false, lost: 1 });

      await startRedisServer(redisPort);
      await until(connected(a.broker, true), "A to connect");
      await until(connected(b.broker, true), "B to connect");
      a.broker.broadcast("together");
      expect(await a1.nextJson()).toEqual({ type: "message", data: "together" });
      expect(await b1.nextJson()).toEqual({ type: "message", data: "together" });
    },
  );

  it.skipIf(noServer !== undefined)(
    "keeps delivering locally through an outage, counts what it could not publish, and resumes",
    async () => {
      const redis = await startRedisServer();
      const a = await brokerOn(redis.url);
      const b = await brokerOn(redis.url);
      const a1 = await clientOf(a.broker, a.url);
      const b1 = await clientOf(b.broker, b.url);
      const [b1Id = ""] = [...b.broker.clients.keys()];
      a.broker.broadcast("before");
      expect(await a1.nextJson()).toEqual({ type: "message", data: "before" });
      expect(await b1.nextJson()).toEqual({ type: "message", data: "before" });

      await redis.kill();
      await until(connected(a.broker, false), "A to notice the outage");
      await until(connected(b.broker, false), "B to notice the outage");
      for (const { errors } of [a, b]) {
        expect(errors.map((error) => error.code)).toEqual([ErrorCode.ADAPTER_UNAVAILABLE]);
        expect(errors[0]?.message).toMatch(/^Redis adapter: lost the connection to redis:/);
      }
      const lostBefore = a.broker.stats().adapter.lost;
      a.broker.broadcast("during");
      expect(await a1.nextJson()).toEqual({ type: "message", data: "during" });
      // A whisper to another node's client cannot get out: false, and counted.
      expect(a.broker.whisper(b1Id, "during")).toBe(false);
      await until(
        () => (a.broker.stats().adapter.lost === lostBefore + 2 ? true : undefined),
        "two lost publications",
      );

      await redis.start();
      await until(connected(a.broker, true), "A to reconnect");
      await until(connected(b.broker, true), "B to reconnect");
      a.broker.broadcast("after");
      // Nothing from the outage arrives late: the next frame is the first one after it.
      expect(await b1.nextJson()).toEqual({ type: "message", data: "after" });
      expect(await a1.nextJson()).toEqual({ type: "message", data: "after" });
      expect(a.broker.whisper(b1Id, "welcome back")).toBe(true);
      expect(await b1.nextJson()).toEqual({ type: "message", data: "welcome back" });
      expect(a.broker.stats().adapter.lost).toBe(lostBefore + 2);
      expect(a.errors).toHaveLength(1);
    },
  );
});
