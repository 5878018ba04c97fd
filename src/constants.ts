/**
 * WebSocket close codes the broker uses (RFC 6455 §7.4 and the IANA registry).
 *
 * @example
 * broker.on(ServerEvent.DISCONNECT, (client, { code }) => {
 *   if (code === CloseCode.ABNORMAL) console.warn(`${client.id} vanished`);
 * });
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  TRY_AGAIN_LATER: 1013,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Defaults for every limit and timer; the README's options table lists them.
 *
 * @example
 * createBroker({ heartbeatInterval: Defaults.heartbeatInterval * 2 });
 */
export const Defaults = {
  host: "127.0.0.1",
  port: 8899,
  path: "/ws",
  /** Like Socket.IO's `maxHttpBufferSize` (1e6): a larger frame closes the client with 1009. */
  maxPayload: 1024 * 1024,
  /** Ping every 25 s, as Socket.IO does. */
  heartbeatInterval: 25_000,
  /** Give up on a peer 20 s after an unanswered ping, as Socket.IO does. */
  heartbeatTimeout: 20_000,
  /** How long a closing handshake may take before the socket is destroyed. */
  closeTimeout: 5_000,
  /** Node's own default: a request's headers must be in within 60 s, or 408 and the socket closes. */
  headersTimeout: 60_000,
  ssePath: "/events",
  /** A comment line every 15 s keeps proxies from timing a quiet stream out. */
  sseKeepalive: 15_000,
  sseRetry: 3_000,
  historyMaxEvents: 1_000,
  historyMaxAgeMs: 5 * 60_000,
  /** Events a pull queue keeps before dropping the oldest. */
  pullQueue: 10_000,
  /** Where `redisAdapter()` connects when given neither a URL nor a client. */
  redisUrl: "redis://127.0.0.1:6379",
  /** Brokers sharing a prefix form one cluster: channel `<prefix>:cluster`. */
  redisPrefix: "switchboard",
  /** How long `fetchClients()`/`fetchRoom()` collect other nodes' replies. */
  fetchTimeout: 1_000,
  /** No cap on connections unless the application sets one (it knows its memory budget). */
  maxConnections: Number.POSITIVE_INFINITY,
  /** Rooms one client may be in; bounds the registry work a single client can cause. */
  maxRoomsPerClient: 100,
  /** Consecutive rate-limited frames before the client is closed with 1008. */
  rateLimitMaxBreaches: 10,
  /** Unsent bytes one client may hold before it lags (uWebSockets.js's maxBackpressure, 1 MiB). */
  maxBufferedBytes: 1024 * 1024,
  /** A lagging client under policy `close` gets this long to drain before 1013. */
  lagTimeout: 5_000,
  /** A TCP client's first (`auth`) frame must arrive within this, when `authenticate` is set. */
  authTimeout: 10_000,
  /** After `auth_expired`, a client has this long to send an `auth` frame before 1008. */
  authGrace: 10_000,
} as const;

/**
 * The longest delay Node's timers hold (2^31-1 ms, about 24.8 days): a longer one is cut to 1 ms
 * with a warning, so every long timer is clamped to it (and re-armed if it must wait longer).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Event names a client frame may never carry: they name lifecycle events or object prototype
 * members. A frame using one gets a `bad_frame` error frame instead of reaching any listener
 * (Socket.IO's CVE-2024-38355 was a client event named "error" crashing the server).
 *
 * @example
 * RESERVED_EVENT_NAMES.has("__proto__"); // true: such a frame gets a bad_frame error frame
 */
export const RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set([
  "connect",
  "disconnect",
  "error",
  "ack",
  "presence",
  "slow",
  "__proto__",
  "constructor",
  "prototype",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toString",
  "toLocaleString",
  "valueOf",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);

/** Subprotocol prefix a WebSocket client offers to choose a codec: `switchboard.json`. */
export const SUBPROTOCOL_PREFIX = "switchboard.";
