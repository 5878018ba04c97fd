/**
 * The client's type vocabulary: event maps, lifecycle events, and what `pump()` returns.
 */
import type { ClientError } from "./errors.js";

/** Application events by name: the data each carries, both ways. The default: anything. */
export type EventMap = Record<string, unknown>;

/** Reply types of requests, by event name (the ack's `data`); unlisted ones are `unknown`. */
export type ReplyMap<Events> = { readonly [K in keyof Events]?: unknown };

/** A map with no replies listed. */
export type NoReplies = Record<never, never>;

/** How a connection closed. */
export interface CloseInfo {
  /** The WebSocket close code (TCP: the broker's close line, else 1006). */
  readonly code: number;
  readonly reason: string;
}

/** Announced before each wait between reconnect attempts. */
export interface ReconnectingInfo {
  /** 1 for the first attempt after a drop, then 2, 3… */
  readonly attempt: number;
  /** The wait before this attempt, in ms. */
  readonly delay: number;
}

/** The client's own events; their names are reserved (a broker event so named is refused). */
export interface LifecycleEvents {
  open: undefined;
  close: CloseInfo;
  reconnecting: ReconnectingInfo;
  error: ClientError;
  /**
   * A renewal starts: the broker's credentials expired (`auth_expired`), or `renew()` was called.
   * An auth frame with a token is on its way.
   */
  reauthenticating: undefined;
  /** The broker accepted the renewed token; frames held meanwhile (after an expiry) are sent. */
  reauthenticated: undefined;
}

export type LifecycleName = keyof LifecycleEvents;

/** The application event names of a map: its string keys, minus the lifecycle names. */
export type EventName<Events> = Exclude<keyof Events & string, LifecycleName>;

/** An event from the broker as `pump()` and `for await` yield it. */
export type ClientEvent<Events = EventMap> = {
  [K in EventName<Events>]: { readonly type: K; readonly data: Events[K] };
}[EventName<Events>];

/** `send`'s data argument: optional when the event's data may be `undefined`. */
export type DataArgs<T> = undefined extends T ? [data?: T] : [data: T];

/** What `request` resolves with for event `K`. */
export type ReplyOf<Replies, K> = K extends keyof Replies ? Required<Replies>[K] : unknown;

/** Where the client is: `connecting` (an attempt under way), `open`, `reconnecting` (waiting). */
export type ClientState = "connecting" | "open" | "reconnecting" | "closed";

export interface RequestOptions {
  /** Reject with `timeout` after this many ms. Default: the client's `requestTimeout` (10 s). */
  readonly timeout?: number;
}
