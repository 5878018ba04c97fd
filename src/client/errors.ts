/**
 * Stable, lower-case codes of the errors the client reports: on the `error` event, and as the
 * rejection of `request()`. Error frames from the broker keep the broker's own code
 * (`bad_frame`, `rate_limited`, `auth_expired`, `forbidden`, …).
 *
 * @example
 * client.on("error", (error) => {
 *   if (error.code === ClientErrorCode.QUEUE_FULL) console.warn("offline for too long");
 * });
 */
export const ClientErrorCode = {
  /** `send`/`request` while not open and the queue already holds `queue.max` frames: dropped. */
  QUEUE_FULL: "queue_full",
  /**
   * `send`/`request` while not open with `queue: false`: dropped. `renew()` while not open: the
   * connection authenticates with a fresh token when it opens.
   */
  NOT_OPEN: "not_open",
  /** The `pump()` buffer (or an async iterator's) was full: its oldest events are being dropped. */
  PUMP_OVERFLOW: "pump_overflow",
  /** No `ack` arrived within the request's timeout; no answer to `renew()` in `requestTimeout`. */
  TIMEOUT: "timeout",
  /** The broker answered the request with an `ack` carrying an error (its listener threw). */
  REQUEST_FAILED: "request_failed",
  /** The connection closed after the request (or `renew()`) was sent and before its answer. */
  DISCONNECTED: "disconnected",
  /** The client was closed by `close()`: pending requests, renewals and queued frames are dropped. */
  CLOSED: "closed",
  /** One connection attempt failed (refused, unreachable, upgrade refused). */
  CONNECT_FAILED: "connect_failed",
  /** Reconnecting gave up after `reconnect.attempts` attempts; the client is closed. */
  RECONNECT_FAILED: "reconnect_failed",
  /** The socket reported an error on an open connection (a close follows). */
  SOCKET_ERROR: "socket_error",
  /** The broker sent a frame the client cannot read (not JSON, binary, no `type`). */
  INVALID_FRAME: "invalid_frame",
  /** The broker sent an event named like a lifecycle event (`open`, `close`, `reconnecting`). */
  RESERVED_EVENT: "reserved_event",
  /** `send`/`request` with data the protocol cannot encode (a BigInt, a cycle, an empty type). */
  ENCODE_FAILED: "encode_failed",
  /** `request()` over the separator protocol, which has no acknowledgements. */
  UNSUPPORTED: "unsupported",
  /** The broker did not accept the requested subprotocol (`switchboard.<protocol>`). */
  PROTOCOL_MISMATCH: "protocol_mismatch",
  /** An `on` listener threw; the client carries on. */
  LISTENER_FAILED: "listener_failed",
  /**
   * The broker refused the token: an upgrade answered 401, a TCP auth frame or a renewal refused.
   * Without a token function the client stops reconnecting (the same token would be refused).
   */
  UNAUTHORIZED: "unauthorized",
  /** The broker refused the connection (upgrade answered 403: `allowedOrigins`, `authorize`). */
  FORBIDDEN: "forbidden",
  /**
   * The credentials expired (`withExpiry` on the broker) and cannot be renewed here (no `token`
   * option), or a frame sent just before the renewal was refused by the broker: an `error` event,
   * or the rejection of a request (the broker did not handle it; it is safe to send again).
   */
  AUTH_EXPIRED: "auth_expired",
  /** The `token` function threw, rejected, or returned something no header can carry. */
  TOKEN_FAILED: "token_failed",
  /** `renew()` on a client created without a `token` option: there is nothing to renew with. */
  NO_TOKEN: "no_token",
  /** A request for an event nothing on the broker listens to (nor a `message` listener). */
  NO_LISTENER: "no_listener",
} as const;

export type ClientErrorCodeValue = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * The one error class of the client: a stable `code` and a message that says what failed.
 *
 * @example
 * try {
 *   await client.request("save", doc, { timeout: 2_000 });
 * } catch (error) {
 *   if (error instanceof ClientError && error.code === "timeout") retryLater();
 * }
 */
export class ClientError extends Error {
  override readonly name = "ClientError";
  /** A {@link ClientErrorCode} value, or the code of a broker error frame. */
  readonly code: ClientErrorCodeValue | (string & {});

  constructor(code: ClientErrorCodeValue | (string & {}), message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
