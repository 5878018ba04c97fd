import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { nanoid } from "nanoid";
import { MAX_TIMER_MS } from "../constants.js";
import type { AppendRequest, HistoryStore, StoredRange } from "./history-store.js";
import { CLUSTER_PROTOCOL_VERSION, encodeClusterMessage } from "./messages.js";
import {
  recoveryReadCount,
  type StreamBounds,
  type StreamEntry,
  type StreamEventId,
} from "./stream-ids.js";

// Channel histories in Redis Streams, shared by every broker of a cluster. Per channel:
//   <prefix>:history:<channel>       the stream: one entry per event (`p` the previous entry id,
//                                    `m` the broadcast as JSON, or `gap` for a gap marker)
//   <prefix>:history-meta:<channel>  a hash: `epoch` (one life of the stream), `last` (newest id)
// Both expire together (refreshed on every append and while a node has listeners), so a flushed
// or restarted-empty Redis loses both, and the next append draws a new epoch.

/**
 * Records and publishes in one step, so the order of publications is the order of ids on every
 * node. KEYS: stream, meta. ARGV: new epoch, max length, ttl ms, create ("1"), gap ("1"), pub/sub
 * channel, the message's JSON with its closing `}` replaced by `,"id":"` (8 characters longer
 * than the plain message). Returns the full id, or false (published without one) when the
 * channel has no history and may not start one here.
 */
const APPEND = `
local stream, meta = KEYS[1], KEYS[2]
local head = ARGV[7]
local plain = string.sub(head, 1, -8) .. '}'
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch and ARGV[4] ~= '1' then
  redis.call('PUBLISH', ARGV[6], plain)
  return false
end
local last = redis.call('HGET', meta, 'last')
if not epoch or (last and redis.call('EXISTS', stream) == 0) then
  epoch = ARGV[1]
  last = false
  redis.call('DEL', stream)
  redis.call('HDEL', meta, 'last')
  redis.call('HSET', meta, 'epoch', epoch)
end
if ARGV[5] == '1' and last then
  last = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[2], '*', 'p', last, 'gap', '1')
end
local id = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[2], '*', 'p', last or '', 'm', plain)
redis.call('HSET', meta, 'last', id)
redis.call('PEXPIRE', stream, ARGV[3])
redis.call('PEXPIRE', meta, ARGV[3])
local full = epoch .. ':' .. id
redis.call('PUBLISH', ARGV[6], head .. full .. '"}')
return full
`;

/**
 * The recovery read. KEYS: stream, meta. ARGV: the client's entry id, count, the client's epoch.
 * Returns { epoch or "", TIME seconds, TIME microseconds, entries from the client's id }.
 */
const READ = `
local t = redis.call('TIME')
local epoch = redis.call('HGET', KEYS[2], 'epoch') or ''
if epoch ~= ARGV[3] then return {epoch, t[1], t[2], {}} end
return {epoch, t[1], t[2], redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])}
`;

/**
 * Starts a channel's history (a new epoch, dropping any stream left without one) unless it has
 * one, and pushes back the expiry of both keys. KEYS: stream, meta. ARGV: new epoch, ttl ms.
 */
const TOUCH = `
if redis.call('HSETNX', KEYS[2], 'epoch', ARGV[1]) == 1 then redis.call('DEL', KEYS[1]) end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

interface Script {
  readonly lua: string;
  readonly sha: string;
}

const script = (lua: string): Script => ({
  lua,
  sha: createHash("sha1").update(lua).digest("hex"),
});

const SCRIPTS = { append: script(APPEND), read: script(READ), touch: script(TOUCH) } as const;

/**
 * How long the keys live without appends or listeners: the age limit, but at least a minute so
 * that the keep-alive below has time to refresh them.
 */
const MIN_TTL_MS = 60_000;
const ttlOf = (bounds: StreamBounds): number => Math.max(bounds.maxAgeMs, MIN_TTL_MS);

/** Runs a script by its SHA, loading it once when Redis does not know it (after a restart). */
async function run(
  redis: Redis,
  { lua, sha }: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return redis.eval(lua, keys.length, ...keys, ...args);
  }
}

/** The fields of one XRANGE entry, `[id, [field, value, ...]]`, as a `StreamEntry`. */
function toEntry(raw: unknown): StreamEntry | undefined {
  if (!Array.isArray(raw) || typeof raw[0] !== "string" || !Array.isArray(raw[1])) return;
  const fields = new Map<string, string>();
  const list = raw[1] as unknown[];
  for (let index = 0; index + 1 < list.length; index += 2) {
    fields.set(String(list[index]), String(list[index + 1]));
  }
  return {
    entry: raw[0],
    prev: fields.get("p") ?? "",
    gap: fields.has("gap"),
    message: fields.get("m") ?? "",
  };
}

/** What the store needs from the Redis adapter it belongs to. */
export interface RedisHistoryOptions {
  readonly prefix: string;
  /** The pub/sub channel every node listens to (`<prefix>:cluster`). */
  readonly channel: string;
  /** The command connection when it is ready, else undefined (nothing is queued offline). */
  readonly connection: () => Redis | undefined;
  /** This node's id once started. */
  readonly node: () => string | undefined;
  /** Whether the subscription is live. */
  readonly subscribed: () => boolean;
  /** Counts a publication Redis confirmed, or one that did not get out. */
  readonly counted: (outcome: "published" | "lost") => void;
}

/** `HistoryStore` on the Redis adapter's command connection. */
export class RedisHistory implements HistoryStore {
  readonly #options: RedisHistoryOptions;
  readonly #deaf = new Set<() => void>();
  readonly #heard = new Set<() => void>();
  /**
   * True until the first subscription too: with `optional: true` a broker may take streams
   * before Redis answers, and those missed the other brokers' events.
   */
  #wasDeaf = true;
  #keepTimer: NodeJS.Timeout | undefined;
  /** Touches this node's channels (set by `keepAlive`). */
  #keeping: (() => void) | undefined;

  constructor(options: RedisHistoryOptions) {
    this.#options = options;
  }

  get listening(): boolean {
    return this.#options.subscribed();
  }

  onDeaf(listener: () => void): void {
    this.#deaf.add(listener);
  }

  onHeard(listener: () => void): void {
    this.#heard.add(listener);
  }

  /** The adapter's subscription dropped: echoes of appends in flight will not come. */
  deafened(): void {
    this.#wasDeaf = true;
    for (const listener of this.#deaf) listener();
  }

  /** The adapter's subscription is live (again). */
  hearing(): void {
    if (!this.#wasDeaf) return;
    this.#wasDeaf = false;
    for (const listener of this.#heard) listener();
  }

  /**
   * Loads the scripts on a connection that just became ready, before anything else is sent on
   * it: an EVALSHA answered NOSCRIPT would be retried as EVAL after commands sent meanwhile,
   * out of order with them.
   */
  prepare(redis: Redis): void {
    for (const { lua } of Object.values(SCRIPTS)) redis.script("LOAD", lua).catch(() => undefined);
    // Redis may have come back empty: this node's channels get their histories again at once.
    this.#keeping?.();
  }

  async append(request: AppendRequest): Promise<string | undefined> {
    const { channel, counted } = this.#options;
    const redis = this.#options.connection();
    const node = this.#options.node();
    if (!redis || node === undefined) {
      counted("lost");
      throw new Error("Redis is not connected");
    }
    let head: string;
    try {
      const text = encodeClusterMessage({ ...request.command, v: CLUSTER_PROTOCOL_VERSION, node });
      head = `${text.slice(0, -1)},"id":"`;
    } catch (error) {
      counted("lost");
      throw error;
    }
    const { maxEvents } = request.bounds;
    try {
      const id = await run(redis, SCRIPTS.append, this.#keys(request.channel), [
        nanoid(8),
        Math.max(1, maxEvents),
        ttlOf(request.bounds),
        request.create ? "1" : "0",
        request.gap ? "1" : "0",
        channel,
        head,
      ]);
      counted("published");
      return typeof id === "string" ? id : undefined;
    } catch (error) {
      counted("lost");
      throw error;
    }
  }

  async read(channel: string, last: StreamEventId, bounds: StreamBounds): Promise<StoredRange> {
    const redis = this.#options.connection();
    if (!redis) throw new Error("Redis is not connected");
    const reply = await run(redis, SCRIPTS.read, this.#keys(channel), [
      last.entry,
      recoveryReadCount(bounds),
      last.epoch,
    ]);
    if (!Array.isArray(reply) || reply.length < 4) throw new Error("unexpected recovery reply");
    const [epoch, seconds, micros, raw] = reply as [unknown, unknown, unknown, unknown];
    const entries = Array.isArray(raw) ? raw.map(toEntry) : [];
    return {
      epoch: typeof epoch === "string" && epoch !== "" ? epoch : undefined,
      nowMs: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000),
      entries: entries.filter((entry): entry is StreamEntry => entry !== undefined),
    };
  }

  touch(channels: readonly string[], bounds: StreamBounds): void {
    const redis = this.#options.connection();
    if (!redis || channels.length === 0) return;
    const ttl = ttlOf(bounds);
    for (const channel of channels) {
      // Best effort: a touch lost to an outage is made again by the next keep-alive.
      run(redis, SCRIPTS.touch, this.#keys(channel), [nanoid(8), ttl]).catch(() => undefined);
    }
  }

  keepAlive(channels: () => Iterable<string>, bounds: StreamBounds): void {
    if (this.#keepTimer) clearInterval(this.#keepTimer);
    const keep = () => this.touch([...channels()], bounds);
    this.#keeping = keep;
    this.#keepTimer = setInterval(keep, Math.min(MAX_TIMER_MS, ttlOf(bounds) / 3));
    this.#keepTimer.unref();
  }

  /** Stops the keep-alive (the adapter is closing). */
  close(): void {
    if (this.#keepTimer) clearInterval(this.#keepTimer);
    this.#keepTimer = undefined;
    this.#keeping = undefined;
  }

  #keys(channel: string): [string, string] {
    const { prefix } = this.#options;
    return [`${prefix}:history:${channel}`, `${prefix}:history-meta:${channel}`];
  }
}
