import type { Server } from "node:http";
import type { InspectionEvent, Observer } from "xstate";
import type { SlowConsumerPolicy } from "../actors/connection.js";
import type { Codec } from "../protocols/codec.js";
import { type EventSourceCodec, eventSource } from "../protocols/event-source.js";
import { json } from "../protocols/json.js";
import { separator } from "../protocols/separator.js";
import type { Authenticate, Authorize } from "./admission.js";
import type { Adapter } from "./cluster/adapter.js";
import { memoryAdapter } from "./cluster/memory.js";
import { Defaults } from "./constants.js";
import { type RateLimit, type RateLimitOptions, resolveRateLimit } from "./rate-limit.js";
import type { EventIdFunction, HistoryLimits } from "./sse/history.js";

/** Anything xstate accepts as `inspect`: a callback or an observer (e.g. `@statelyai/inspect`). */
export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** Server-Sent Events: `GET <path>/:channel` streams, `POST <path>/:channel/:action` publishes. */
export interface SseOptions {
  /** Mount point. Default `/events`. */
  readonly path?: string;
  /** A keepalive comment every this many ms; a stream that cannot take it is closed. Default 15 000. */
  readonly keepalive?: number;
  /** The `retry:` sent first: how long EventSource waits before reconnecting. Default 3 000 ms. */
  readonly retry?: number;
  /**
   * Event ids: `"counter"` (default: `<epoch>:<n>`, increasing per channel, with replay on
   * reconnect), a function `(channel, n) => id` (unique per channel), or `"none"` (no ids, no
   * history, no replay).
   */
  readonly ids?: "counter" | "none" | EventIdFunction;
  /** Replay history per channel. Default 1 000 events and 5 minutes. */
  readonly history?: Partial<HistoryLimits>;
  /** Action names a POST may use (plus `close`); default: any valid name. */
  readonly actions?: readonly string[];
  /** Send every payload as JSON text, strings included. Default false. */
  readonly json?: boolean;
}

/** One observer that feeds both (either may be absent); undefined when both are. */
export function combineObservers(
  first: InspectionObserver | undefined,
  second: InspectionObserver | undefined,
): InspectionObserver | undefined {
  if (!first || !second) return first ?? second;
  const feed = (observer: InspectionObserver, event: InspectionEvent) => {
    if (typeof observer === "function") observer(event);
    else observer.next?.(event);
  };
  return (event) => {
    feed(first, event);
    feed(second, event);
  };
}

export interface BrokerOptions {
  /** Port to listen on (0 picks a free one). Ignored with `server`. Default 8899. */
  readonly port?: number;
  /** Interface to bind. Default `127.0.0.1`; use `0.0.0.0` to accept other machines. */
  readonly host?: string;
  /** WebSocket endpoint path. Default `/ws`. */
  readonly path?: string;
  /**
   * An existing `http.Server` to attach to (like ws's `server` option): the broker handles
   * upgrades on `path` only, leaves every other request alone, and never closes that server.
   */
  readonly server?: Server;
  /** The codec of clients that do not choose one. Default `separator("|")`. */
  readonly protocol?: Codec;
  /**
   * Codecs a client may choose by subprotocol (`switchboard.<name>`) or `?protocol=<name>`.
   * Default: the default codec plus `separator("|")` and `json()`.
   */
  readonly protocols?: readonly Codec[];
  /** Largest frame accepted, in bytes; a larger one closes that client with 1009. Default 1 MiB. */
  readonly maxPayload?: number;
  /** Ping a quiet client after this many ms; 0 turns the heartbeat off. Default 25 000. */
  readonly heartbeatInterval?: number;
  /** Close (1006) a client that has not answered a ping after this many ms. Default 20 000. */
  readonly heartbeatTimeout?: number;
  /** How long a closing handshake may take before the socket is destroyed. Default 5 000. */
  readonly closeTimeout?: number;
  /**
   * How long a client may take to send a request's headers (HTTP and WebSocket upgrades alike)
   * before the broker's own server answers 408 and closes the socket: the slow-loris guard.
   * Default 60 000 ms, Node's own. Ignored with `server` (that server's settings apply).
   */
  readonly headersTimeout?: number;
  /** Receives every actor's inspection events (`@xstate.actor`, `.event`, `.snapshot`). */
  readonly inspect?: InspectionObserver;
  /**
   * The live inspector page at `/_inspect` (off by default). `token` requires
   * `Authorization: Bearer <token>` (or `?token=` for the page itself); `payloads` shows message
   * contents in its event log (hidden by default).
   */
  readonly inspector?: boolean | { readonly token?: string; readonly payloads?: boolean };
  /** Server-Sent Events settings, or `false` to turn the endpoint off. On by default. */
  readonly sse?: SseOptions | false;
  /** The pull API's queues (`pump()`, `events()`): events kept at most. Default 10 000. */
  readonly pullQueue?: number;
  /**
   * A raw TCP endpoint: newline-delimited JSON-codec frames on its own port (0 picks one).
   * Off unless given. Clients answer `{"type":"ping"}` lines with `{"type":"pong"}`.
   */
  readonly tcp?: { readonly port: number; readonly host?: string };
  /**
   * How brokers reach each other: `redisAdapter({ url })` makes broadcasts, whispers, room
   * changes, SSE posts and presence reach every broker sharing that Redis. Default
   * `memoryAdapter()`: this process alone. One adapter per broker.
   */
  readonly adapter?: Adapter;
  /**
   * Connections allowed on this node, all transports together: live clients plus admissions not
   * finished yet (inside `authenticate`/`authorize`, or a TCP socket owing its `auth` frame).
   * Over it a WebSocket upgrade or SSE stream is answered 503 (no actor created) and a TCP
   * connection gets a close line with 1013. Default: no limit.
   */
  readonly maxConnections?: number;
  /**
   * Origins (`https://app.example.com`, exact match) whose browser pages may open WebSockets and
   * SSE streams or post; another `Origin` is answered 403. Requests without `Origin` (not from a
   * browser) are allowed. Default: any origin.
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Runs before a WebSocket upgrade, an SSE stream and every SSE POST, and on a TCP client's
   * first frame (`{"type":"auth","data":{"token":…}}`, seen as `authorization: Bearer <token>`):
   * false refuses with 401 (TCP: an `unauthorized` frame and 1008), an object becomes
   * `client.data`, `withExpiry(data, at)` adds an expiry. Read credentials from headers or
   * cookies, never the URL (see README "Authentication").
   */
  readonly authenticate?: Authenticate;
  /**
   * How long a TCP client has to send its `auth` frame, and how long `authenticate` and
   * `authorize` may take to answer (past it: 500 and an `error` event; the connection slot it
   * held is free again). Default 10 000 ms.
   */
  readonly authTimeout?: number;
  /** How long an expired client has to re-authenticate before 1008. Default 10 000 ms. */
  readonly authGrace?: number;
  /** Rules on client-initiated operations (SSE subscriptions and posts): false answers 403. */
  readonly authorize?: Authorize;
  /** Per-connection inbound token bucket; frames over it are dropped. Off by default. */
  readonly rateLimit?: RateLimitOptions;
  /** Rooms one client may be in; a join over it is refused (`SB_ERR_LIMIT`). Default 100. */
  readonly maxRoomsPerClient?: number;
  /**
   * Unsent bytes one client may hold (every transport). Past it the client is `lagging`: its
   * frames are skipped (and counted) until it drains, and the `slow` event fires. Default 1 MiB.
   */
  readonly maxBufferedBytes?: number;
  /**
   * What a lagging client is in for: `close` (default) closes it with 1013 (an SSE stream ends)
   * if it has not drained within `lagTimeout`; `drop` keeps it and skips its frames until it
   * drains. Either way a client that drains gets a `lagged` error frame with the skipped count.
   */
  readonly lagPolicy?: "close" | "drop";
  /** How long a lagging client may take to drain under policy `close`. Default 5 000 ms. */
  readonly lagTimeout?: number;
}

/** SSE options with every default filled in. */
export interface ResolvedSse {
  readonly path: string;
  readonly keepalive: number;
  readonly retry: number;
  readonly ids: "counter" | "none" | EventIdFunction;
  readonly history: HistoryLimits;
  readonly actions: ReadonlySet<string> | undefined;
  readonly codec: EventSourceCodec;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly server: Server | undefined;
  readonly protocol: Codec;
  readonly codecs: ReadonlyMap<string, Codec>;
  readonly maxPayload: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly closeTimeout: number;
  readonly headersTimeout: number;
  readonly inspect: InspectionObserver | undefined;
  readonly inspector:
    | { readonly token: string | undefined; readonly payloads: boolean }
    | undefined;
  readonly sse: ResolvedSse | undefined;
  readonly pullQueue: number;
  readonly tcp: { readonly port: number; readonly host: string } | undefined;
  readonly adapter: Adapter;
  readonly maxConnections: number;
  readonly allowedOrigins: ReadonlySet<string> | undefined;
  readonly authenticate: Authenticate | undefined;
  readonly authTimeout: number;
  readonly authGrace: number;
  readonly authorize: Authorize | undefined;
  readonly rateLimit: RateLimit | undefined;
  readonly maxRoomsPerClient: number;
  readonly maxBufferedBytes: number;
  readonly slowConsumer: SlowConsumerPolicy;
}

function resolveInspector(option: BrokerOptions["inspector"]): ResolvedOptions["inspector"] {
  if (!option) return undefined;
  if (option === true) return { token: undefined, payloads: false };
  return { token: option.token, payloads: option.payloads ?? false };
}

function resolveSse(options: SseOptions | false | undefined): ResolvedSse | undefined {
  if (options === false) return undefined;
  const { path, keepalive, retry, ids, history, actions, json: asJson } = options ?? {};
  return {
    path: path ?? Defaults.ssePath,
    keepalive: keepalive ?? Defaults.sseKeepalive,
    retry: retry ?? Defaults.sseRetry,
    ids: ids ?? "counter",
    history: {
      maxEvents: history?.maxEvents ?? Defaults.historyMaxEvents,
      maxAgeMs: history?.maxAgeMs ?? Defaults.historyMaxAgeMs,
    },
    actions: actions ? new Set(actions) : undefined,
    codec: eventSource({ json: asJson ?? false }),
  };
}

/**
 * A duration or size the application set: a finite number at least `min`, else a RangeError at
 * `createBroker` (NaN would otherwise make every comparison false: a client lagging at once, a
 * timer firing at once).
 */
function bounded(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a finite number of at least ${min}, got ${value}`);
  }
  return value;
}

function lagPolicyOf(policy: BrokerOptions["lagPolicy"]): "close" | "drop" {
  if (policy === undefined || policy === "close" || policy === "drop") return policy ?? "close";
  throw new RangeError(`lagPolicy must be "close" or "drop", got ${String(policy)}`);
}

export function resolveOptions(options: BrokerOptions): ResolvedOptions {
  const protocol = options.protocol ?? separator("|");
  // The default codec's instance wins for its name, so its settings (e.g. the separator) hold.
  const codecs = new Map<string, Codec>();
  for (const codec of options.protocols ?? [separator("|"), json()]) codecs.set(codec.name, codec);
  codecs.set(protocol.name, protocol);
  return {
    port: options.port ?? Defaults.port,
    host: options.host ?? Defaults.host,
    path: options.path ?? Defaults.path,
    server: options.server,
    protocol,
    codecs,
    maxPayload: options.maxPayload ?? Defaults.maxPayload,
    heartbeatInterval: options.heartbeatInterval ?? Defaults.heartbeatInterval,
    heartbeatTimeout: options.heartbeatTimeout ?? Defaults.heartbeatTimeout,
    closeTimeout: options.closeTimeout ?? Defaults.closeTimeout,
    headersTimeout: bounded("headersTimeout", options.headersTimeout, Defaults.headersTimeout, 0),
    inspect: options.inspect,
    inspector: resolveInspector(options.inspector),
    sse: resolveSse(options.sse),
    pullQueue: options.pullQueue ?? Defaults.pullQueue,
    tcp: options.tcp
      ? { port: options.tcp.port, host: options.tcp.host ?? options.host ?? Defaults.host }
      : undefined,
    adapter: options.adapter ?? memoryAdapter(),
    maxConnections: options.maxConnections ?? Defaults.maxConnections,
    allowedOrigins: options.allowedOrigins ? new Set(options.allowedOrigins) : undefined,
    authenticate: options.authenticate,
    authTimeout: bounded("authTimeout", options.authTimeout, Defaults.authTimeout, 1),
    authGrace: bounded("authGrace", options.authGrace, Defaults.authGrace, 0),
    authorize: options.authorize,
    rateLimit: options.rateLimit
      ? resolveRateLimit(options.rateLimit, Defaults.rateLimitMaxBreaches)
      : undefined,
    maxRoomsPerClient: options.maxRoomsPerClient ?? Defaults.maxRoomsPerClient,
    maxBufferedBytes: bounded(
      "maxBufferedBytes",
      options.maxBufferedBytes,
      Defaults.maxBufferedBytes,
      1,
    ),
    slowConsumer: {
      policy: lagPolicyOf(options.lagPolicy),
      lagTimeout: bounded("lagTimeout", options.lagTimeout, Defaults.lagTimeout, 0),
    },
  };
}
