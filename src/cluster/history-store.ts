import type { ClusterCommand } from "./messages.js";
import type { StreamBounds, StreamEntry, StreamEventId } from "./stream-ids.js";

/** A broadcast command, the only kind a channel history records. */
export type BroadcastCommand = Extract<ClusterCommand, { readonly kind: "broadcast" }>;

/** One recording asked of the store. */
export interface AppendRequest {
  /** The channel (room) whose history gets the event. */
  readonly channel: string;
  /** The broadcast as the other nodes get it; the store publishes it with its `id`. */
  readonly command: BroadcastCommand;
  /**
   * True when the channel is one on this node (it has listeners or history here): start a
   * history if the store has none. False: record only if some node already made it a channel.
   */
  readonly create: boolean;
  /** This node delivered events of the channel that the store lacks: mark the gap first. */
  readonly gap: boolean;
  readonly bounds: StreamBounds;
}

/** What the recovery read found: the stream's epoch and clock, and entries from the client's id. */
export interface StoredRange {
  /** The channel's current epoch; undefined when the store has no history for it. */
  readonly epoch: string | undefined;
  /** The store's clock (Redis `TIME`) in ms, which stream ids are made of. */
  readonly nowMs: number;
  readonly entries: readonly StreamEntry[];
}

/**
 * Channel histories shared by every node of a cluster (Redis Streams with `redisAdapter()`).
 * Recording and publishing are one atomic step in the store, so every node hears channel
 * deliveries in the order of their ids, the publishing node included (it delivers its own when
 * they come back). Adapters without one (`memoryAdapter()`) leave each node its own history.
 */
export interface HistoryStore {
  /**
   * Records a channel delivery and publishes it with its id to every node, this one included
   * (its echo carries `ref`). Resolves with the id, or undefined when the channel has no history
   * anywhere and `create` is false (then it is published as a plain broadcast). Rejects when the
   * store cannot be reached; nothing was published then, unless the failure came after it.
   */
  append(request: AppendRequest): Promise<string | undefined>;
  /** Reads the entries from `last` (inclusive) on, for a reconnecting client. */
  read(channel: string, last: StreamEventId, bounds: StreamBounds): Promise<StoredRange>;
  /**
   * Starts (if need be) and keeps the histories of `channels` for a while: a listener joined
   * here, so posts on nodes that do not know the channel still get ids.
   */
  touch(channels: readonly string[], bounds: StreamBounds): void;
  /** Touches `channels()` (this node's channels) now and then, until the adapter closes. */
  keepAlive(channels: () => Iterable<string>, bounds: StreamBounds): void;
  /** Whether echoes of appends arrive now (the subscription is live). */
  readonly listening: boolean;
  /** Called each time echoes stop arriving (the subscription dropped). */
  onDeaf(listener: () => void): void;
  /**
   * Called when the subscription is back after a drop: live deliveries of other nodes made in
   * between never came, though the store has them.
   */
  onHeard(listener: () => void): void;
}
