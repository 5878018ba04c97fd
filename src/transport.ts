/**
 * The small interface between a socket and its connection actor. Transports (WebSocket, SSE,
 * TCP) implement it; actors see nothing else of sockets or HTTP, and transports know nothing of
 * codecs: they carry already-encoded text frames.
 */

/** Transport error `code`s meaning "a frame or line over maxPayload" (close 1009). */
export const TOO_LARGE_ERROR_CODES: ReadonlySet<string> = new Set([
  "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
  "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH",
  "SB_TCP_LINE_TOO_LONG",
]);

/** ws's error `code`s for frames that break RFC 6455 (ws closes with 1002). */
export const PROTOCOL_ERROR_CODES: ReadonlySet<string> = new Set([
  "WS_ERR_INVALID_OPCODE",
  "WS_ERR_UNEXPECTED_RSV_1",
  "WS_ERR_UNEXPECTED_RSV_2_3",
  "WS_ERR_EXPECTED_MASK",
  "WS_ERR_UNEXPECTED_MASK",
  "WS_ERR_EXPECTED_FIN",
  "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
  "WS_ERR_INVALID_CLOSE_CODE",
]);

/** ws's error `code`s for a message in too many pieces (ws closes with 1008). */
export const POLICY_ERROR_CODES: ReadonlySet<string> = new Set(["WS_ERR_TOO_MANY_BUFFERED_PARTS"]);

/** Transport error `code`s meaning "text that is not UTF-8" (close 1007). */
export const INVALID_UTF8_ERROR_CODES: ReadonlySet<string> = new Set([
  "WS_ERR_INVALID_UTF8",
  "SB_TCP_INVALID_UTF8",
]);

import type { OutboundFrame } from "./outbound-frame.js";

/** How a client reached the broker. */
export type TransportKind = "websocket" | "sse" | "tcp";

/** What a transport reports to its connection actor. Names match the connection machine. */
export type TransportEvent =
  | { readonly type: "socket.message"; readonly frame: string }
  | { readonly type: "socket.binary"; readonly byteLength: number }
  | { readonly type: "socket.pong" }
  | { readonly type: "socket.error"; readonly error: Error }
  /** The unsent bytes passed the limit set by `limitBuffer`; frames are skipped from now on. */
  | { readonly type: "socket.lagging"; readonly bufferedAmount: number }
  /** The kernel took everything after a `socket.lagging`; `skipped` frames were not sent. */
  | { readonly type: "socket.drained"; readonly skipped: number }
  | { readonly type: "socket.closed"; readonly code: number; readonly reason: string };

export type TransportSink = (event: TransportEvent) => void;

export interface Transport {
  readonly kind: TransportKind;
  /** The peer's IP address, as the socket saw it. */
  readonly remoteAddress: string;
  /** Bytes queued in user space that the kernel has not accepted yet. */
  readonly bufferedAmount: number;
  /**
   * Sends one encoded text frame. An `OutboundFrame` is shared by every recipient of a
   * broadcast: the transport writes its cached wire form and must never modify it.
   */
  send(frame: string | OutboundFrame): void;
  /** Starts a clean close with a close code; the transport reports `socket.closed` when done. */
  close(code: number, reason: string): void;
  /** Destroys the socket at once (a dead peer); `socket.closed` follows. */
  terminate(): void;
  /** Sends a liveness probe; the peer's answer arrives as `socket.pong`. */
  ping(): void;
  /**
   * Caps the bytes queued for this peer (see `OutboundValve`): past `maxBytes` the transport
   * reports `socket.lagging` and skips frames until the buffer drains.
   */
  limitBuffer(maxBytes: number): void;
  /** Holds writes in user space until `uncork()` (coalescing a tick's frames into one write). */
  cork?(): void;
  uncork?(): void;
  /** Routes the transport's events to one sink (the connection actor). Called once. */
  bind(sink: TransportSink): void;
}
