/**
 * The one shape every wire codec shares. A codec is a plain value with pure functions: it turns
 * a text frame into an inbound message (or a coded failure) and turns outbound payloads into
 * text frames. It never touches sockets, timers or clocks, so the same value can be handed to
 * any number of connection actors and the broker can encode a broadcast once per codec.
 */

/** A frame decoded into an event name and its data. */
export interface InboundMessage {
  /** The event name: `#chat` for separator frames, the `type` for JSON frames. */
  readonly event: string;
  /** The decoded data: an array of fields (separator), any JSON value (json), or the raw text. */
  readonly data: unknown;
  /** A client-chosen request id; the broker answers it with an `ack` frame (JSON codec only). */
  readonly ackId?: number;
}

/** The stable, lower-case codes a codec reports in error frames. */
export type CodecErrorCode = "bad_frame";

/** Why a frame could not be decoded; the connection decides what to do with it. */
export interface CodecFailure {
  readonly code: CodecErrorCode;
  readonly message: string;
}

export type DecodeResult =
  | { readonly ok: true; readonly message: InboundMessage }
  | { readonly ok: false; readonly error: CodecFailure };

/**
 * What a handler produced for a frame that carried an `ackId`; or, with a `code`, why the broker
 * refused the frame without handing it to a handler (`auth_expired`).
 */
export type AckOutcome =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly message: string; readonly code?: string };

export interface Codec {
  /** The name clients use to choose it: `separator`, `json`, `event-source`. */
  readonly name: string;
  /** Turns one inbound text frame into a message, or a `bad_frame` failure. Never throws. */
  decode(frame: string): DecodeResult;
  /** Encodes a whisper/broadcast payload. Throws a `TypeError` only for unserialisable values. */
  encode(payload: unknown): string;
  /** Encodes a named event with its data (`broker.emit`). */
  encodeEvent(event: string, data: unknown): string;
  /** Encodes an error frame carrying a stable lower-case code. */
  encodeError(code: string, message: string): string;
  /** Encodes the answer to a frame that carried `ackId`; `undefined` if the codec has no acks. */
  encodeAck(ackId: number, outcome: AckOutcome): string | undefined;
}

/** Shorthand for a successful decode. */
export function decoded(message: InboundMessage): DecodeResult {
  return { ok: true, message };
}

/** Shorthand for a `bad_frame` failure with a message prefixed by what failed. */
export function badFrame(message: string): DecodeResult {
  return { ok: false, error: { code: "bad_frame", message } };
}
