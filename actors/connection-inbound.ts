import { isAuthFrame } from "../src/auth-frame.js";
import { CloseCode, RESERVED_EVENT_NAMES } from "../src/constants.js";
import { BrokerError, ErrorCode, wireCode } from "../src/errors.js";
import {
  INVALID_UTF8_ERROR_CODES,
  POLICY_ERROR_CODES,
  PROTOCOL_ERROR_CODES,
  TOO_LARGE_ERROR_CODES,
} from "../src/transport.js";
import type { ConnectionContext } from "./connection-types.js";

// What the connection actor does with inbound frames and transport failures: decoding with its
// codec, the answers to frames it refuses, and the close codes failures imply.

export const RATE_LIMIT_REASON = "rate limit exceeded";

/** Maps the transport's failure to the broker's error code (ws reports its own `code`). */
export function transportFailure(error: Error): BrokerError {
  const code = (error as Error & { code?: string }).code ?? "";
  if (TOO_LARGE_ERROR_CODES.has(code)) {
    return new BrokerError(ErrorCode.PAYLOAD_TOO_LARGE, `Frame rejected: ${error.message}`, {
      cause: error,
      closeCode: CloseCode.MESSAGE_TOO_BIG,
    });
  }
  const closeCode = INVALID_UTF8_ERROR_CODES.has(code)
    ? CloseCode.INVALID_PAYLOAD
    : PROTOCOL_ERROR_CODES.has(code)
      ? CloseCode.PROTOCOL_ERROR
      : POLICY_ERROR_CODES.has(code)
        ? CloseCode.POLICY_VIOLATION
        : undefined;
  return new BrokerError(ErrorCode.TRANSPORT_FAILED, `Transport failed: ${error.message}`, {
    cause: error,
    ...(closeCode ? { closeCode } : {}),
  });
}

/** Decodes one inbound frame and hands it on, or answers the client with an error frame. */
export function decodeInbound(context: ConnectionContext, frame: string, expired = false): void {
  const result = context.codec.decode(frame);
  if (!result.ok) {
    context.transport.send(context.codec.encodeError(result.error.code, result.error.message));
    return;
  }
  if (RESERVED_EVENT_NAMES.has(result.message.event)) {
    const message = `Invalid frame: event name "${result.message.event}" is reserved`;
    context.transport.send(context.codec.encodeError("bad_frame", message));
    return;
  }
  if (context.settings.auth && isAuthFrame(result.message)) {
    context.settings.hooks.reauthenticate(context.id, result.message);
    return;
  }
  if (expired) {
    const message = "Credentials expired: send an auth frame with a fresh token";
    const code = wireCode(ErrorCode.AUTH_EXPIRED);
    const { ackId } = result.message;
    // A request is answered on its id, so the client rejects it at once (and knows it was never
    // handled) instead of waiting for its timeout; other frames get the error frame.
    const ack =
      ackId === undefined
        ? undefined
        : context.codec.encodeAck(ackId, { ok: false, code, message });
    context.transport.send(ack ?? context.codec.encodeError(code, message));
    return;
  }
  context.settings.hooks.received(context.id, result.message);
}

export function refuseFrame(context: ConnectionContext): void {
  const message = "Frame dropped: over the connection's rate limit";
  context.transport.send(context.codec.encodeError(wireCode(ErrorCode.RATE_LIMITED), message));
}

/** One error event per closed client, not per dropped frame: a flood must not flood the logs. */
export function reportRateLimitClose(context: ConnectionContext): void {
  const error = new BrokerError(ErrorCode.RATE_LIMITED, `Closed: ${RATE_LIMIT_REASON} repeatedly`, {
    closeCode: CloseCode.POLICY_VIOLATION,
  });
  context.settings.hooks.failed(context.id, error);
}
