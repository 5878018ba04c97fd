import type { Redis, RedisOptions } from "ioredis";
import { reconnectDelay } from "./backoff.js";

// The Redis adapter's two connections: how they are opened and how they are closed. Pub/sub
// needs two: a connection that has subscribed can do nothing but (un)subscribe.

/** The publishing connection: fails fast rather than sending late. */
const PUBLISHER: RedisOptions = {
  lazyConnect: true,
  // A publication made while disconnected fails at once (and is counted as lost) instead of
  // waiting in an offline queue to go out late, or never.
  enableOfflineQueue: false,
  // A publication in flight when the connection drops fails too, instead of being re-sent after
  // the reconnect, long after the broadcast that made it.
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
};

/** The subscribing connection. */
const SUBSCRIBER: RedisOptions = {
  lazyConnect: true,
  // The adapter subscribes again itself on every `ready`, so it knows when messages flow again.
  autoResubscribe: false,
  maxRetriesPerRequest: null,
};

/** Where the adapter connects: a URL, or a client whose options are copied. */
export type RedisSource = { readonly url: string } | { readonly client: Redis };

/** Redis client names are printable ASCII without spaces. */
const clientName = (name: string): string => name.replace(/[^!-~]/g, "_");

/**
 * Opens (lazily: `connect()` starts it) one of the adapter's connections. From a URL it gets the
 * adapter's backoff; from a client it keeps that client's options, `retryStrategy` included.
 * The name (`<prefix>:<node>:pub|sub`) shows in `CLIENT LIST`.
 */
export async function openConnection(
  source: RedisSource,
  role: "pub" | "sub",
  name: string,
): Promise<Redis> {
  const options: RedisOptions = {
    ...(role === "pub" ? PUBLISHER : SUBSCRIBER),
    connectionName: clientName(`${name}:${role}`),
  };
  if ("client" in source) return source.client.duplicate(options);
  // Loaded only here: a broker that never uses Redis never loads the client.
  const { Redis: Client } = await import("ioredis");
  return new Client(source.url, {
    retryStrategy: (attempt) => reconnectDelay(attempt),
    ...options,
  });
}

/** How long closing may wait for Redis to answer QUIT before the socket is simply dropped. */
const QUIT_LIMIT_MS = 2_000;

/** Statuses in which a socket is open or opening, so an `end` event is still to come. */
const LIVE: ReadonlySet<string> = new Set(["connecting", "connect", "ready"]);

/**
 * Closes a connection for good (no reconnection). `graceful` sends QUIT when connected, so
 * publications already written are answered first; otherwise, or if QUIT does not answer in
 * time, the socket is dropped. Resolves once the socket is closed.
 */
export function closeConnection(connection: Redis, graceful: boolean): Promise<void> {
  const ended = LIVE.has(connection.status)
    ? new Promise<void>((resolve) => connection.once("end", () => resolve()))
    : Promise.resolve();
  if (graceful && connection.status === "ready") {
    connection.quit().catch(() => connection.disconnect());
  } else {
    connection.disconnect();
  }
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      connection.disconnect();
      resolve();
    }, QUIT_LIMIT_MS);
  });
  return Promise.race([ended, limit]).finally(() => clearTimeout(timer));
}

/** A URL without its credentials, for messages. */
export function describeSource(source: RedisSource): string {
  if ("client" in source) {
    const { host, port } = source.client.options;
    return `redis://${host ?? "localhost"}:${port ?? 6379}`;
  }
  try {
    const url = new URL(source.url);
    url.username = "";
    url.password = "";
    return url.href;
  } catch {
    return "the configured Redis URL";
  }
}
