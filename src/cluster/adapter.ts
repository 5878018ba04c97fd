import type { BrokerError } from "../errors.js";
import type { HistoryStore } from "./history-store.js";
import type { ClusterMessage } from "./messages.js";

/** What an adapter has done since it started (`broker.stats().adapter`). */
export interface AdapterStats {
  /** Messages the adapter handed on and its backend confirmed (Redis answered the PUBLISH). */
  readonly published: number;
  /** Messages from other nodes received (this node's own are not counted). */
  readonly received: number;
  /**
   * Messages for other nodes that did not get out: made while disconnected, failed in flight,
   * or impossible to encode. Never dropped silently: each is counted here.
   */
  readonly lost: number;
  /** Whether messages currently flow both ways (always true for the in-memory adapter). */
  readonly connected: boolean;
}

/** The broker side an adapter talks to once started. */
export interface AdapterNode {
  /** This broker's node id: messages carrying it are its own and are not handed back. */
  readonly id: string;
  /** A message from another node. */
  receive(message: ClusterMessage): void;
  /** Something failed (an outage, an unreadable message): reported as an `error` event. */
  failed(error: BrokerError): void;
}

/**
 * How brokers reach each other. The broker's cluster node is the only caller: the supervisor
 * asks it to publish, and it hands the adapter whole messages. `memoryAdapter()` (the default,
 * one process) and `redisAdapter()` implement it; another backend (NATS, Postgres NOTIFY) would
 * be one more file.
 *
 * @example
 * const broker = createBroker({ adapter: redisAdapter({ url: "redis://127.0.0.1:6379" }) });
 */
export interface Adapter {
  /**
   * True when other brokers may share this adapter: a client id or a channel unknown here may
   * then live on another node, so whispers, joins and SSE posts for it are published instead of
   * refused.
   */
  readonly clustered: boolean;
  /**
   * Connects and starts handing other nodes' messages to `node`. Called once, by `listen()`;
   * rejects with a `BrokerError` (`SB_ERR_ADAPTER_UNAVAILABLE`) when the backend cannot be
   * reached, unless the adapter is optional.
   */
  start(node: AdapterNode): Promise<void>;
  /**
   * Sends one message to every other node, once. Never throws; false when it could not be handed
   * on (then it is counted as lost). True means handed on, not yet confirmed.
   */
  publish(message: ClusterMessage): boolean;
  stats(): AdapterStats;
  /**
   * Channel histories every node shares (`redisAdapter()`: Redis Streams), so SSE ids and
   * replay work across nodes. Absent (`memoryAdapter()`): each broker keeps its own.
   */
  readonly history?: HistoryStore | undefined;
  /** Closes the adapter: nothing is published after the promise resolves. */
  close(): Promise<void>;
}
