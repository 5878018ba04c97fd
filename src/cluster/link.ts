import type { HistoryStore } from "./history-store.js";
import type { ClusterCommand, PresenceAction } from "./messages.js";

/**
 * What the supervisor sees of the cluster (its `cluster` input). The supervisor decides what
 * concerns other nodes (a broadcast, a whisper to an id it does not hold, a join of such an id)
 * and hands it here; it never sees the adapter, let alone Redis. Commands that came from another
 * node are applied locally only and never handed back, so nothing echoes around the cluster.
 */
export interface ClusterLink {
  /** Sends a command to the other nodes. Never throws; false when it did not get out. */
  publish(command: ClusterCommand): boolean;
  /** A local client joined or left rooms: the presence listeners of every node hear of it. */
  presence(id: string, rooms: readonly string[], action: PresenceAction): void;
  /** Channel histories shared by every node, when the adapter keeps them (Redis). */
  readonly history?: HistoryStore | undefined;
}

/** A broadcast as the other nodes get it: one message whatever the number of recipients. */
export function broadcastCommand(broadcast: {
  readonly payload: unknown;
  readonly event?: string | undefined;
  readonly room?: string | undefined;
  readonly except?: ReadonlySet<string> | undefined;
}): ClusterCommand {
  const { payload, event, room, except } = broadcast;
  return {
    kind: "broadcast",
    payload,
    ...(event === undefined ? {} : { event }),
    ...(room === undefined ? {} : { room }),
    ...(except === undefined || except.size === 0 ? {} : { except: [...except] }),
  };
}

/**
 * Marks a command another node published: it is applied here only, never published again (so
 * nothing echoes around the cluster), and an id unknown here is simply not this node's.
 */
export interface FromCluster {
  readonly remote?: boolean | undefined;
}

/** Publishes `command` for the other nodes, unless `event` came from one of them. */
export function relay(
  cluster: ClusterLink | undefined,
  event: FromCluster,
  command: ClusterCommand,
): void {
  if (!event.remote) cluster?.publish(command);
}
