import type { Codec } from "../protocols/codec.js";
import type { ClusterLink, FromCluster } from "../src/cluster/link.js";
import type { ChannelHistories } from "../src/sse/history.js";
import type { ResumeReplay, SharedChannels } from "../src/sse/shared-channels.js";
import type { Transport } from "../src/transport.js";
import type { ConnectionActorRef, ConnectionNotice } from "./connection.js";
import type { ConnectionRegistry } from "./connection-registry.js";
import type { ActorHooks } from "./hooks.js";
import type { TimerFiredEvent, TimerKind } from "./timer.js";
import type { WriteBatch } from "./write-batch.js";

// The supervisor's input, context and events (see supervisor.ts).

/** Channels: rooms whose deliveries get ids and a replay history (the SSE side). */
export interface ChannelSettings {
  readonly histories: ChannelHistories;
  /** The codec of stream listeners; it also encodes the frames kept in history. */
  readonly codec: Codec;
  /** Adds an id to a frame of that codec. */
  readonly withId: (frame: string, id: string) => string;
}

export interface SupervisorInput {
  readonly hooks: ActorHooks;
  /** Absent when ids are off: no history, no replay. */
  readonly channels?: ChannelSettings | undefined;
  /** The other nodes (see `ClusterLink`); absent in tests of one supervisor alone. */
  readonly cluster?: ClusterLink | undefined;
  /** Rooms one connection may be in; joins over it are refused and reported. Default: none. */
  readonly maxRoomsPerClient?: number | undefined;
}

/** What `inspect()` shows of a timer; the callback itself stays out of the snapshot. */
export interface TimerInfo {
  readonly kind: TimerKind;
  readonly ms: number;
}

export interface SupervisorContext extends SupervisorInput {
  readonly registry: ConnectionRegistry;
  /** Metadata of the live timers, keyed like the timer child actors. Mutated in place. */
  readonly timers: Map<string, TimerInfo>;
  /** Coalesces a tick's broadcast writes per socket. */
  readonly writes: WriteBatch;
  /** Channel ids and replay from a history every node shares (Redis), instead of `histories`. */
  readonly shared: SharedChannels | undefined;
}

/** Who a broadcast goes to: everyone, or one room, minus the `except` ids. */
export interface BroadcastTarget {
  readonly room?: string | undefined;
  readonly except?: ReadonlySet<string> | undefined;
}

/** What a broadcast did: how many clients it was written to, and its channel id if recorded. */
export interface DeliveryReport {
  readonly delivered: number;
  readonly id?: string;
}

export type SupervisorEvent =
  | {
      /** A connection actor, created but not started, for a transport that is up. */
      readonly type: "connection.accept";
      readonly id: string;
      readonly ref: ConnectionActorRef;
      readonly transport: Transport;
      readonly codec: Codec;
      /** Rooms joined before anything is delivered (an SSE listener's channel). */
      readonly rooms?: readonly string[];
      /** A reconnecting stream's `Last-Event-ID`: replay what it missed in its first room. */
      readonly resumeFrom?: string | undefined;
    }
  | ConnectionNotice
  | { readonly type: "connection.failed"; readonly id: string; readonly error: unknown }
  | ({ readonly type: "client.send"; readonly id: string; readonly payload: unknown } & FromCluster)
  | ({
      readonly type: "client.emit";
      readonly id: string;
      readonly event: string;
      readonly data: unknown;
    } & FromCluster)
  | { readonly type: "client.frame"; readonly id: string; readonly frame: string }
  | {
      readonly type: "client.close";
      readonly id: string;
      readonly code: number;
      readonly reason: string;
    }
  | ({
      readonly type: "broadcast";
      readonly payload: unknown;
      /** A named event (`encodeEvent`) rather than a bare payload (`encode`). */
      readonly event?: string | undefined;
      readonly report?: ((report: DeliveryReport) => void) | undefined;
      /** Its id in the shared channel history (from the node that recorded it). */
      readonly stamp?: string | undefined;
      /** This node's own recorded delivery coming back (see `SharedChannels`). */
      readonly ref?: string | undefined;
    } & BroadcastTarget &
      FromCluster)
  /** A shared history's replay for a reconnecting stream is ready (see `SharedChannels`). */
  | ResumeReplay
  | ({
      readonly type: "channel.close";
      readonly room: string;
      readonly report: (closed: number) => void;
    } & FromCluster)
  | ({ readonly type: "room.join"; readonly id: string; readonly room: string } & FromCluster)
  | ({ readonly type: "room.leave"; readonly id: string; readonly room: string } & FromCluster)
  | {
      readonly type: "timer.set";
      readonly timerId: string;
      readonly kind: TimerKind;
      readonly ms: number;
      readonly callback: () => unknown;
    }
  | { readonly type: "timer.clear"; readonly timerId: string }
  | TimerFiredEvent
  | { readonly type: "shutdown"; readonly code: number; readonly reason: string };
