/**
 * The Redis the cross-node scenario's brokers share, seen from the runner: whether it
 * answers at all (if not, the scenario is skipped, not failed), and how much CPU the Redis
 * server spends over the measured window (`INFO cpu`), which is neither broker's CPU nor
 * the load process's and would otherwise count as "other processes".
 */
import { Redis } from "ioredis";

/** Where the brokers meet: REDIS_URL, as the test suite reads it. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** How long a probe may take before Redis counts as unreachable. */
const PROBE_TIMEOUT_MS = 2_000;

/** A connection that fails once instead of retrying: the runner wants an answer, not a wait. */
function connectOnce(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
}

/** Whether the Redis at `url` is on this machine: only then does its CPU show in the machine's. */
export function isLocal(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === "127.0.0.1" || host === "localhost" || host === "[::1]" || host === "";
  } catch {
    return false;
  }
}

/** Resolves undefined if Redis answers PING at `url`, else why not. */
export async function unreachable(url: string): Promise<string | undefined> {
  const redis = connectOnce(url);
  // ioredis rejects with "Connection is closed."; the socket's own error says why.
  let cause: Error | undefined;
  redis.on("error", (error: Error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    const reason = cause ?? error;
    return reason instanceof Error ? reason.message : String(reason);
  } finally {
    redis.disconnect();
  }
}

/** Reads the Redis server's own CPU time (user + system, every thread), µs. */
export class RedisCpu {
  readonly #redis: Redis;

  private constructor(redis: Redis) {
    this.#redis = redis;
  }

  static async open(url: string): Promise<RedisCpu> {
    const redis = connectOnce(url);
    redis.on("error", () => {});
    await redis.connect();
    return new RedisCpu(redis);
  }

  async usedUs(): Promise<number> {
    const info = await this.#redis.info("cpu");
    const field = (name: string): number => {
      const value = new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1];
      if (value === undefined) throw new Error(`Redis INFO cpu has no ${name}`);
      return Number(value) * 1e6;
    };
    return field("used_cpu_user") + field("used_cpu_sys");
  }

  close(): void {
    this.#redis.disconnect();
  }
}
