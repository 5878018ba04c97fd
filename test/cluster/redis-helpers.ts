/**
 * Redis for the cluster tests: the shared server at REDIS_URL (default redis://127.0.0.1:6379),
 * with a unique prefix per test so parallel suites never hear each other; private
 * `redis-server`s on free ports for the fault tests, which kill them; and a raw subscriber that
 * records what goes over a cluster's channel.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { afterEach } from "vitest";
import { freePort } from "../cli/cli-process.js";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const REDIS_SERVER = "/usr/bin/redis-server";
/** Under CI every Redis test must run: a missing Redis is a failure there, not a skip. */
const IN_CI = process.env.CI === "true";

let prefixSequence = 0;
/** A cluster name no other test (file, worker or run) uses. */
export function uniquePrefix(label: string): string {
  prefixSequence += 1;
  return `sbtest:${label}:${process.pid}:${prefixSequence}:${Date.now().toString(36)}`;
}

/** A connection that tries once and never reconnects: for probes and test-side commands. */
export function probeConnection(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
  });
}

/**
 * Why the tests that need the shared Redis cannot run, or undefined when they can. Printed when
 * it skips; under CI=true it never skips (the tests then fail on the unreachable Redis).
 */
export async function redisSkipReason(): Promise<string | undefined> {
  if (IN_CI) return undefined;
  const probe = probeConnection(REDIS_URL);
  // The socket's error says why; the rejection only says "Connection is closed."
  let socketError: Error | undefined;
  probe.on("error", (error: Error) => {
    socketError = error;
  });
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    const why = (socketError ?? (error as Error)).message;
    const reason = `Redis unreachable at ${REDIS_URL} (${why}): cluster tests skipped`;
    console.warn(reason);
    return reason;
  } finally {
    probe.disconnect();
  }
}

/** Why the tests that start their own `redis-server` cannot run (never under CI=true). */
export function redisServerSkipReason(): string | undefined {
  if (IN_CI || existsSync(REDIS_SERVER)) return undefined;
  const reason = `${REDIS_SERVER} not found (apt-get install redis-server): fault tests skipped`;
  console.warn(reason);
  return reason;
}

/** Resolves when `check` returns something other than undefined; fails naming `what`. */
export async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A private `redis-server` a test may kill and start again on the same port. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Starts it (again); resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it (SIGKILL: no goodbye to its clients); resolves once it has exited. */
  kill(): Promise<void>;
}

const servers = new Set<RedisServer>();

afterEach(async () => {
  const running = [...servers];
  servers.clear();
  await Promise.all(running.map((server) => server.kill()));
});

/** A `redis-server` on a free port, with no persistence; killed after the test. */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const url = `redis://127.0.0.1:${chosen}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";
  const server: RedisServer = {
    port: chosen,
    url,
    async start() {
      const started = spawn(
        REDIS_SERVER,
        ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      child = started;
      started.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      started.stderr?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      exited = new Promise((resolve) => started.once("exit", () => resolve()));
      await until(async () => {
        if (started.exitCode !== null) {
          throw new Error(`redis-server on ${chosen} exited:\n${output}`);
        }
        const probe = probeConnection(url);
        probe.on("error", () => {});
        try {
          await probe.connect();
          return (await probe.ping()) === "PONG" ? true : undefined;
        } catch {
          return undefined;
        } finally {
          probe.disconnect();
        }
      }, `redis-server on port ${chosen}`);
    },
    async kill() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
  servers.add(server);
  await server.start();
  return server;
}

/** Every message seen on a cluster's channel, recorded by a raw subscriber of the test's own. */
export interface ChannelTap {
  readonly messages: Record<string, unknown>[];
  close(): void;
}

const taps = new Set<ChannelTap>();

afterEach(() => {
  for (const tap of taps) tap.close();
  taps.clear();
});

/** Subscribes to `<prefix>:cluster`; resolves once the subscription is live. */
export async function tapChannel(prefix: string, url = REDIS_URL): Promise<ChannelTap> {
  const subscriber = probeConnection(url);
  const messages: Record<string, unknown>[] = [];
  subscriber.on("message", (_channel: string, text: string) => {
    messages.push(JSON.parse(text) as Record<string, unknown>);
  });
  await subscriber.connect();
  await subscriber.subscribe(`${prefix}:cluster`);
  const tap: ChannelTap = { messages, close: () => subscriber.disconnect() };
  taps.add(tap);
  return tap;
}

/** Publishes raw text on a cluster's channel, as a foreign or broken node would. */
export async function publishRaw(prefix: string, text: string, url = REDIS_URL): Promise<void> {
  const publisher = probeConnection(url);
  try {
    await publisher.connect();
    await publisher.publish(`${prefix}:cluster`, text);
  } finally {
    publisher.disconnect();
  }
}

/** The names of the connections Redis currently has whose name starts with `prefix`. */
export async function connectionNames(prefix: string, url = REDIS_URL): Promise<string[]> {
  const admin = probeConnection(url);
  try {
    await admin.connect();
    const list = String(await admin.client("LIST"));
    return [...list.matchAll(/ name=(\S*)/g)]
      .map((match) => match[1] ?? "")
      .filter((name) => name.startsWith(prefix));
  } finally {
    admin.disconnect();
  }
}
