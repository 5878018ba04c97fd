import type { ActorRef, Snapshot } from "xstate";
import type { Codec } from "../protocols/codec.js";
import type { BucketState, RateLimit } from "../src/rate-limit.js";
import type { Transport, TransportEvent } from "../src/transport.js";
import type { ActorHooks } from "./hooks.js";

// The connection machine's input, context, settings and events (see connection.ts).

/**
 * Liveness probing, as Socket.IO does it: a ping `interval` ms after the last pong (inbound
 * frames do not count), and the peer is gone if no pong comes within `timeout` ms.
 * `interval` 0 turns it off.
 */
export interface HeartbeatSettings {
  readonly interval: number;
  readonly timeout: number;
}

/**
 * What happens to a client whose unsent bytes pass `maxBufferedBytes` (the transport measures,
 * and skips frames while the client lags): `close` ends it with 1013 if it has not drained
 * within `lagTimeout` ms; `drop` keeps it, skipping its frames until it drains.
 */
export interface SlowConsumerPolicy {
  readonly policy: "close" | "drop";
  readonly lagTimeout: number;
}

/**
 * Re-authentication, when the broker has `authenticate`: auth frames go to the broker (through
 * `hooks.reauthenticate`) instead of the listeners, and expired credentials leave `grace` ms to
 * send fresh ones.
 */
export interface AuthSettings {
  readonly grace: number;
}

/** The supervisor as a connection sees it: somewhere to send its notices. */
export type SupervisorRef = ActorRef<Snapshot<unknown>, ConnectionNotice>;

/**
 * What every connection of a broker (of one transport kind) shares. One object per broker,
 * referenced by each connection's context: copying these fields into every context would cost
 * a slot each per connection, twice (xstate keeps the input as well as the context).
 */
export interface ConnectionSettings {
  readonly supervisor: SupervisorRef;
  readonly heartbeat: HeartbeatSettings;
  /** How long a closing handshake may take before the socket is destroyed. */
  readonly closeTimeout: number;
  readonly hooks: ActorHooks;
  /** The inbound token bucket's settings; absent means unmetered. */
  readonly rateLimit?: RateLimit | undefined;
  /** What a lagging client is in for; shared by every connection of a broker. */
  readonly slowConsumer: SlowConsumerPolicy;
  /** Present when the broker authenticates: auth frames and expiry are handled. */
  readonly auth?: AuthSettings | undefined;
}

export interface ConnectionInput {
  readonly id: string;
  readonly transport: Transport;
  readonly codec: Codec;
  readonly settings: ConnectionSettings;
}

export interface ConnectionContext extends ConnectionInput {
  /** The token bucket, created on the first metered frame. */
  readonly bucket: BucketState | undefined;
  /** Set once the connection knows how it ends; reported to the `disconnect` listeners. */
  readonly closeCode: number | undefined;
  readonly closeReason: string;
}

/** What the supervisor (or a handle) asks of a connection. */
export type ConnectionCommand =
  | { readonly type: "connection.registered" }
  /** The client's credentials ran out (`withExpiry`). */
  | { readonly type: "auth.expired" }
  /** An auth frame's token was accepted; `event` is the name the client's frame used. */
  | { readonly type: "auth.renewed"; readonly event: string; readonly nonce?: string | undefined }
  /** An auth frame's token was refused. */
  | { readonly type: "auth.refused"; readonly message: string }
  | { readonly type: "connection.close"; readonly code: number; readonly reason: string };

export type ConnectionEvent = TransportEvent | ConnectionCommand;

/** What a connection tells its supervisor. */
export type ConnectionNotice =
  | { readonly type: "connection.closing"; readonly id: string }
  | {
      readonly type: "connection.closed";
      readonly id: string;
      readonly code: number;
      readonly reason: string;
    };
