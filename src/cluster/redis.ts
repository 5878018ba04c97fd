import type { Redis } from "ioredis";
import { Defaults } from "../constants.js";
import { BrokerError, ErrorCode } from "../errors.js";
import type { Adapter, AdapterNode, AdapterStats } from "./adapter.js";
import { type ClusterMessage, decodeClusterMessage, encodeClusterMessage } from "./messages.js";
import {
  closeConnection,
  describeSource,
  openConnection,
  type RedisSource,
} from "./redis-connections.js";
import { RedisHistory } from "./redis-history.js";

export interface RedisAdapterOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…`. Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /**
   * An ioredis client to take the connection settings from (sentinels, TLS, auth, its
   * `retryStrategy`): the adapter opens two duplicates of it and never uses or closes the
   * client itself. Wins over `url`.
   */
  readonly client?: Redis;
  /**
   * Brokers sharing a prefix form one cluster; messages travel on channel `<prefix>:cluster`.
   * Default `switchboard`.
   */
  readonly prefix?: string;
  /**
   * Start even when Redis cannot be reached: `listen()` resolves, an `error` event says so, and
   * the broker serves its own clients alone until Redis answers. Default false: `listen()`
   * rejects with `SB_ERR_ADAPTER_UNAVAILABLE`.
   */
  readonly optional?: boolean;
}

const messageOf = (cause: unknown): string =>
  cause instanceof Error ? cause.message : String(cause);

/**
 * Scale-out over Redis pub/sub with ioredis: every broker sharing the Redis and the prefix
 * receives the others' broadcasts, whispers, room changes, SSE posts and presence. One PUBLISH
 * per broadcast, on one channel; each node delivers its own publications locally and ignores
 * them when Redis echoes them back. While Redis is away, local delivery goes on, the adapter
 * reconnects with backoff, and cross-node messages are counted as lost in `broker.stats()`.
 *
 * @example
 * import { createBroker, redisAdapter } from "switchboard";
 *
 * const broker = createBroker({ adapter: redisAdapter({ url: process.env.REDIS_URL }) });
 * await broker.listen(); // rejects with SB_ERR_ADAPTER_UNAVAILABLE if Redis is unreachable
 */
export function redisAdapter(options: RedisAdapterOptions = {}): Adapter {
  return new RedisAdapter(options);
}

class RedisAdapter implements Adapter {
  readonly clustered = true;
  /** SSE channel histories in Redis Streams, on the publishing connection. */
  readonly history: RedisHistory;
  readonly #source: RedisSource;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #optional: boolean;
  #node: AdapterNode | undefined;
  #publisher: Redis | undefined;
  #subscriber: Redis | undefined;
  /** The latest SUBSCRIBE, sent on each `ready` of the subscriber. */
  #subscribing: Promise<void> | undefined;
  #subscribed = false;
  /** Whether messages flowed both ways at the last check: an outage is reported once. */
  #up = false;
  #closed = false;
  #lastError: Error | undefined;
  #published = 0;
  #received = 0;
  #lost = 0;

  constructor(options: RedisAdapterOptions) {
    this.#source = options.client
      ? { client: options.client }
      : { url: options.url ?? Defaults.redisUrl };
    this.#prefix = options.prefix ?? Defaults.redisPrefix;
    this.#channel = `${this.#prefix}:cluster`;
    this.#optional = options.optional ?? false;
    this.history = new RedisHistory({
      prefix: this.#prefix,
      channel: this.#channel,
      connection: () =>
        !this.#closed && this.#publisher?.status === "ready" ? this.#publisher : undefined,
      node: () => this.#node?.id,
      subscribed: () => this.#subscribed && !this.#closed,
      counted: (outcome) => {
        if (outcome === "published") this.#published += 1;
        else this.#lost += 1;
      },
    });
  }

  async start(node: AdapterNode): Promise<void> {
    if (this.#node || this.#closed) {
      throw new BrokerError(
        ErrorCode.INVALID_STATE,
        "Redis adapter: already used by a broker; give each broker its own redisAdapter()",
      );
    }
    this.#node = node;
    const name = `${this.#prefix}:${node.id}`;
    const [publisher, subscriber] = await Promise.all([
      openConnection(this.#source, "pub", name),
      openConnection(this.#source, "sub", name),
    ]);
    // Closed while the client library loaded: nothing was connected, nothing to start.
    if (this.#closed) return;
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    for (const connection of [publisher, subscriber]) {
      // ioredis emits `error` on every failed attempt; the outage is reported once, on `close`.
      connection.on("error", (error: Error) => {
        this.#lastError = error;
      });
    }
    publisher.on("ready", () => {
      this.history.prepare(publisher);
      this.#check();
    });
    publisher.on("close", () => this.#check());
    subscriber.on("ready", () => this.#subscribe(subscriber));
    subscriber.on("close", () => {
      const was = this.#subscribed;
      this.#subscribed = false;
      this.#check();
      // Echoes of recorded deliveries in flight will not come: their node delivers them itself.
      if (was) this.history.deafened();
    });
    subscriber.on("message", (channel: string, text: string) => {
      if (channel === this.#channel) this.#receive(text);
    });
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
      await this.#subscribing;
    } catch (failure) {
      // ioredis rejects with "Connection is closed."; the socket's own error says why.
      const cause = this.#lastError ?? failure;
      const where = describeSource(this.#source);
      const message = `Redis adapter: cannot reach ${where} (${messageOf(cause)})`;
      if (!this.#optional) {
        await this.close();
        throw new BrokerError(ErrorCode.ADAPTER_UNAVAILABLE, message, { cause });
      }
      // Optional: the connections keep retrying; this node serves its own clients meanwhile.
      node.failed(
        new BrokerError(
          ErrorCode.ADAPTER_UNAVAILABLE,
          `${message}: serving this node's clients alone until it answers`,
          { cause },
        ),
      );
    }
  }

  publish(message: ClusterMessage): boolean {
    const publisher = this.#publisher;
    if (this.#closed || publisher?.status !== "ready") {
      this.#lost += 1;
      return false;
    }
    let text: string;
    try {
      text = encodeClusterMessage(message);
    } catch (cause) {
      this.#lost += 1;
      this.#node?.failed(
        new BrokerError(
          ErrorCode.ENCODE_FAILED,
          `Redis adapter: cannot send a ${message.kind} to other nodes as JSON (${messageOf(cause)})`,
          { cause },
        ),
      );
      return false;
    }
    publisher.publish(this.#channel, text).then(
      () => {
        this.#published += 1;
      },
      (cause: unknown) => {
        this.#lost += 1;
        // A publication cut off by a dropped connection is the outage already reported.
        if (this.#up && !this.#closed) {
          this.#node?.failed(
            new BrokerError(
              ErrorCode.ADAPTER_UNAVAILABLE,
              `Redis adapter: PUBLISH failed (${messageOf(cause)})`,
              { cause },
            ),
          );
        }
      },
    );
    return true;
  }

  stats(): AdapterStats {
    return {
      published: this.#published,
      received: this.#received,
      lost: this.#lost,
      connected: this.#connected(),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.history.close();
    const closing: Promise<void>[] = [];
    if (this.#subscriber) closing.push(closeConnection(this.#subscriber, false));
    // QUIT is answered after the publications written before it: none is cut off.
    if (this.#publisher) closing.push(closeConnection(this.#publisher, true));
    await Promise.all(closing);
  }

  #connected(): boolean {
    return !this.#closed && this.#publisher?.status === "ready" && this.#subscribed;
  }

  /** Subscribes on every (re)connection, and marks messages as flowing once Redis confirms. */
  #subscribe(subscriber: Redis): void {
    const attempt = subscriber.subscribe(this.#channel).then(() => {
      this.#subscribed = true;
      this.#check();
      this.history.hearing();
    });
    // A SUBSCRIBE cut off by a drop is retried on the next `ready`; `start` awaits the first.
    attempt.catch(() => undefined);
    this.#subscribing = attempt;
  }

  /** Reports the moment messages stop flowing (once per outage) and notes when they resume. */
  #check(): void {
    const connected = this.#connected();
    if (this.#up && !connected && !this.#closed) {
      const cause = this.#lastError ? ` (${this.#lastError.message})` : "";
      this.#node?.failed(
        new BrokerError(
          ErrorCode.ADAPTER_UNAVAILABLE,
          `Redis adapter: lost the connection to ${describeSource(this.#source)}${cause}; ` +
            "reconnecting, and counting messages for other nodes as lost until then",
          { cause: this.#lastError },
        ),
      );
    }
    this.#up = connected;
    if (connected) this.#lastError = undefined;
  }

  #receive(text: string): void {
    const node = this.#node;
    if (!node || this.#closed) return;
    const decoded = decodeClusterMessage(text);
    if (!decoded.ok) {
      node.failed(
        new BrokerError(
          ErrorCode.ADAPTER_MESSAGE,
          `Redis adapter: ignored a message on ${this.#channel}: ${decoded.reason}`,
        ),
      );
      return;
    }
    if (decoded.message.node === node.id) {
      // A recorded channel delivery (`ref`) is delivered here when it comes back, in the order
      // of ids; any other publication of its own this node delivered when it published it.
      if (decoded.message.kind === "broadcast" && decoded.message.ref !== undefined) {
        node.receive(decoded.message);
      }
      return;
    }
    this.#received += 1;
    node.receive(decoded.message);
  }
}
