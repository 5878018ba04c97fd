import { CloseCode, type CloseCodeValue } from "./constants.js";

/**
 * Every stable error code the broker reports; the README lists each with its meaning.
 *
 * @example
 * broker.on(ServerEvent.ERROR, (_client, error) => {
 *   if (error.code === ErrorCode.ENCODE_FAILED) metrics.increment("unencodable");
 * });
 */
export const ErrorCode = {
  /** A frame the codec could not decode, or a binary frame on a text codec. */
  BAD_FRAME: "SB_ERR_BAD_FRAME",
  /** A frame named like a lifecycle event or an object prototype member. */
  RESERVED_EVENT: "SB_ERR_RESERVED_EVENT",
  /** A user handler (event listener or timer callback) threw or rejected. */
  HANDLER_FAILED: "SB_ERR_HANDLER_FAILED",
  /** A payload the codec cannot serialise (BigInt, a cycle). */
  ENCODE_FAILED: "SB_ERR_ENCODE_FAILED",
  /** `?protocol=` or the configured protocol names no known codec. */
  UNKNOWN_PROTOCOL: "SB_ERR_UNKNOWN_PROTOCOL",
  /** A frame or body over `maxPayload`. */
  PAYLOAD_TOO_LARGE: "SB_ERR_PAYLOAD_TOO_LARGE",
  /** The transport reported an error (invalid UTF-8, a protocol violation, a reset). */
  TRANSPORT_FAILED: "SB_ERR_TRANSPORT_FAILED",
  /** A pull queue (`pump()`, `events()`) was full: its oldest events are being dropped. */
  QUEUE_OVERFLOW: "SB_ERR_QUEUE_OVERFLOW",
  /** An unexpected failure inside the broker; the client is closed with 1011. */
  /** A request (a frame with an ack id) for an event with no listener: a failed ack. */
  NO_LISTENER: "SB_ERR_NO_LISTENER",
  INTERNAL: "SB_ERR_INTERNAL",
  /** `listen()` called twice, or after `close()`. */
  INVALID_STATE: "SB_ERR_INVALID_STATE",
  /**
   * The cluster adapter's backend (Redis) cannot be reached: at start (`listen()` rejects unless
   * the adapter is optional) or later (an `error` event; messages for other nodes are counted as
   * lost until it reconnects).
   */
  ADAPTER_UNAVAILABLE: "SB_ERR_ADAPTER_UNAVAILABLE",
  /** A message from another node this version cannot read (malformed, another version); ignored. */
  ADAPTER_MESSAGE: "SB_ERR_ADAPTER_MESSAGE",
  /** `authenticate` answered false: the upgrade or request is refused with 401. */
  UNAUTHORIZED: "SB_ERR_UNAUTHORIZED",
  /** An `Origin` not in `allowedOrigins`, or `authorize` answered false: 403. */
  FORBIDDEN: "SB_ERR_FORBIDDEN",
  /** `maxConnections` reached: upgrade and SSE answered 503, TCP closed with 1013. */
  TOO_MANY_CONNECTIONS: "SB_ERR_TOO_MANY_CONNECTIONS",
  /** A client sent frames faster than `rateLimit` allows; repeated breaches close it with 1008. */
  RATE_LIMITED: "SB_ERR_RATE_LIMITED",
  /** A per-client limit (`maxRoomsPerClient`) refused an operation. */
  LIMIT: "SB_ERR_LIMIT",
  /**
   * Frames were skipped while the client lagged (its unsent bytes passed `maxBufferedBytes`);
   * the client gets a `lagged` error frame with the count once it has drained.
   */
  LAGGED: "SB_ERR_LAGGED",
  /**
   * The client's credentials expired (`authenticate` answered an `expiresAt`): it gets an
   * `auth_expired` error frame and `authGrace` ms to send an `auth` frame, else close 1008.
   */
  AUTH_EXPIRED: "SB_ERR_AUTH_EXPIRED",
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The lower-case code a client sees in an error frame, e.g. `bad_frame`. */
export function wireCode(code: ErrorCodeValue): string {
  return code.slice("SB_ERR_".length).toLowerCase();
}

/**
 * The one error class the broker reports: a stable string `code`, a message prefixed with what
 * failed, the WebSocket close code it implies (if any) and the original `cause`.
 *
 * @example
 * broker.on(ServerEvent.ERROR, (client, error) => {
 *   if (error.code === ErrorCode.HANDLER_FAILED) console.error(client?.id, error.cause);
 * });
 */
export class BrokerError extends Error {
  override readonly name = "BrokerError";
  readonly code: ErrorCodeValue;
  readonly closeCode: CloseCodeValue | undefined;

  constructor(
    code: ErrorCodeValue,
    message: string,
    options: { cause?: unknown; closeCode?: CloseCodeValue } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.closeCode = options.closeCode;
  }
}

/** Wraps anything a handler threw into a `BrokerError` that keeps the original as `cause`. */
export function handlerFailure(where: string, cause: unknown): BrokerError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BrokerError(ErrorCode.HANDLER_FAILED, `Handler failed (${where}): ${reason}`, {
    cause,
  });
}

export const internalFailure = (message: string, cause?: unknown): BrokerError =>
  new BrokerError(ErrorCode.INTERNAL, `Internal failure: ${message}`, {
    cause,
    closeCode: CloseCode.INTERNAL_ERROR,
  });

/** A join refused because the client is already in `max` rooms (`maxRoomsPerClient`). */
export const roomLimitError = (id: string, room: string, max: number): BrokerError =>
  new BrokerError(
    ErrorCode.LIMIT,
    `Join refused: client ${id} is already in ${max} rooms (maxRoomsPerClient), not joining "${room}"`,
  );
