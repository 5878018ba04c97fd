import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/**
 * A WebSocket client built by hand on a `net` socket, for tests that must send what no real
 * client library would: reserved bits, unmasked frames, bad opcodes, oversized control frames,
 * endless fragments, half-written headers. It writes exactly the bytes it is given and parses
 * the server's answer (an HTTP status, then unmasked server frames) as they arrive.
 */

export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

export interface FrameSpec {
  readonly opcode: number;
  readonly payload?: Buffer | string;
  /** Last fragment of a message. Default true. */
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
  /** Clients must mask (RFC 6455 §5.3). Default true; false builds the frame a server sends. */
  readonly masked?: boolean;
}

/** One frame's wire bytes, with a random mask unless `masked: false`. */
export function buildFrame(spec: FrameSpec): Buffer {
  const payload =
    typeof spec.payload === "string"
      ? Buffer.from(spec.payload)
      : (spec.payload ?? Buffer.alloc(0));
  const masked = spec.masked ?? true;
  let first = spec.opcode & 0x0f;
  if (spec.fin ?? true) first |= 0x80;
  if (spec.rsv1) first |= 0x40;
  if (spec.rsv2) first |= 0x20;
  if (spec.rsv3) first |= 0x10;
  const maskBit = masked ? 0x80 : 0;
  let header: Buffer;
  if (payload.length < 126) {
    header = Buffer.from([first, maskBit | payload.length]);
  } else if (payload.length < 0x10000) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const mask = randomBytes(4);
  const body = Buffer.alloc(payload.length);
  for (let index = 0; index < payload.length; index += 1) {
    body[index] = (payload[index] ?? 0) ^ (mask[index % 4] ?? 0);
  }
  return Buffer.concat([header, mask, body]);
}

/** The payload of a close frame: a 2-byte code, then the UTF-8 reason. */
export function closePayload(code: number, reason = ""): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

export interface UpgradeRequestOptions {
  readonly path?: string;
  readonly method?: string;
  /** `Sec-WebSocket-Key`; `null` leaves the header out. Default: 16 random bytes, base64. */
  readonly key?: string | null;
  /** Extra header lines, in order (a name may repeat). */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
}

/** The text of a WebSocket opening handshake (RFC 6455 §4.1), ending with the blank line. */
export function upgradeRequest(options: UpgradeRequestOptions = {}): string {
  const key = options.key === undefined ? randomBytes(16).toString("base64") : options.key;
  const lines = [
    `${options.method ?? "GET"} ${options.path ?? "/ws"} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Version: 13",
  ];
  if (key !== null) lines.push(`Sec-WebSocket-Key: ${key}`);
  for (const [name, value] of options.headers ?? []) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** The status line and headers the server answered with, and the body of a non-101 answer. */
export interface RawResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** A frame the server sent (servers never mask). */
export interface ServerFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

export interface ServerClose {
  readonly code: number;
  readonly reason: string;
}

/** One hand-driven TCP connection to the broker. */
export interface RawConnection {
  readonly socket: Socket;
  /** Resolves with the server's HTTP answer; rejects if the socket closes before any. */
  readonly response: Promise<RawResponse>;
  /** Frames received after a 101, in order. */
  readonly frames: readonly ServerFrame[];
  /** The server's first close frame, or undefined if the socket ended without one. */
  readonly closeFrame: Promise<ServerClose | undefined>;
  /** Resolves once the socket is fully closed, whoever closed it. */
  readonly ended: Promise<void>;
  /** Writes bytes as they are; false once the socket can no longer take them. */
  write(bytes: Buffer | string): boolean;
  /** Sends a frame built by `buildFrame`. */
  send(spec: FrameSpec): boolean;
  destroy(): void;
}

const HEAD_END = Buffer.from("\r\n\r\n");

function parseHead(head: string): { status: number; headers: Map<string, string> } {
  const [statusLine = "", ...lines] = head.split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status, headers };
}

/** Parses complete server frames off the front of `buffer`; returns them and the rest. */
function takeFrames(buffer: Buffer): { frames: ServerFrame[]; rest: Buffer } {
  const frames: ServerFrame[] = [];
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const first = buffer[offset] ?? 0;
    const second = buffer[offset + 1] ?? 0;
    let length = second & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      if (buffer.length - offset < 4) break;
      length = buffer.readUInt16BE(offset + 2);
      start = offset + 4;
    } else if (length === 127) {
      if (buffer.length - offset < 10) break;
      length = Number(buffer.readBigUInt64BE(offset + 2));
      start = offset + 10;
    }
    if (buffer.length < start + length) break;
    frames.push({
      fin: (first & 0x80) !== 0,
      opcode: first & 0x0f,
      payload: buffer.subarray(start, start + length),
    });
    offset = start + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

/**
 * Connects to `127.0.0.1:port` and, once connected, writes `request` (if given). The answer is
 * parsed as it comes: `response` after the head (and, without a 101, the body up to its
 * Content-Length or the end of the connection), then frames.
 */
export function openRaw(
  port: number,
  request?: string | Buffer,
  options: { readonly allowHalfOpen?: boolean } = {},
): RawConnection {
  // No Nagle: each write leaves as a packet of its own, as a dribbling attacker's would.
  // `allowHalfOpen` keeps this side open after the server's FIN, as a stubborn client would.
  const socket = connect({
    host: "127.0.0.1",
    port,
    noDelay: true,
    allowHalfOpen: options.allowHalfOpen ?? false,
  });
  // A server that resets the connection is an outcome the tests assert on, not a crash.
  socket.on("error", () => {});
  const frames: ServerFrame[] = [];
  let buffered: Buffer = Buffer.alloc(0);
  let head: { status: number; headers: Map<string, string> } | undefined;
  let settleResponse: (response: RawResponse) => void = () => {};
  let failResponse: (error: Error) => void = () => {};
  const response = new Promise<RawResponse>((resolve, reject) => {
    settleResponse = resolve;
    failResponse = reject;
  });
  // Tests that only await `closeFrame` or `ended` must not see an unhandled rejection.
  response.catch(() => {});
  let settleClose: (close: ServerClose | undefined) => void = () => {};
  const closeFrame = new Promise<ServerClose | undefined>((resolve) => {
    settleClose = resolve;
  });
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));

  // The body ends at its Content-Length or, for a "Connection: close" answer, with the socket;
  // a chunked answer (an event stream) never ends, so only its head is awaited.
  const answerBody = (complete: boolean): void => {
    if (!head) return;
    if (head.headers.get("transfer-encoding") === "chunked") {
      settleResponse({ ...head, body: "" });
      return;
    }
    const length = Number(head.headers.get("content-length") ?? Number.NaN);
    if (!complete && !(buffered.length >= length)) return;
    settleResponse({ ...head, body: buffered.toString("utf8") });
  };

  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (!head) {
      const end = buffered.indexOf(HEAD_END);
      if (end < 0) return;
      head = parseHead(buffered.subarray(0, end).toString("latin1"));
      buffered = buffered.subarray(end + HEAD_END.length);
      if (head.status === 101) settleResponse({ ...head, body: "" });
    }
    if (head.status !== 101) {
      answerBody(false);
      return;
    }
    const { frames: parsed, rest } = takeFrames(buffered);
    buffered = rest;
    for (const frame of parsed) {
      frames.push(frame);
      if (frame.opcode === Opcode.CLOSE) {
        settleClose({
          code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005,
          reason: frame.payload.subarray(2).toString("utf8"),
        });
      }
    }
  });
  socket.once("close", () => {
    if (head) answerBody(true);
    else failResponse(new Error("The socket closed before any HTTP answer"));
    settleClose(undefined);
  });
  if (request !== undefined) socket.once("connect", () => socket.write(request));

  const write = (bytes: Buffer | string) => {
    if (socket.destroyed || !socket.writable) return false;
    socket.write(bytes);
    return true;
  };
  return {
    socket,
    response,
    frames,
    closeFrame,
    ended,
    write,
    send: (spec) => write(buildFrame(spec)),
    destroy: () => socket.destroy(),
  };
}

/** Completes a handshake on `path` and resolves once the server answered 101. */
export async function openUpgraded(
  port: number,
  options: UpgradeRequestOptions = {},
): Promise<RawConnection> {
  const connection = openRaw(port, upgradeRequest(options));
  const { status, body } = await connection.response;
  if (status !== 101) throw new Error(`Expected 101, got ${status}: ${body}`);
  return connection;
}
