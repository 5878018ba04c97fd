import type { Socket } from "node:net";
import { typedLine } from "../../protocols/control-line.js";
import { CloseCode, Defaults } from "../constants.js";
import type { OutboundFrame } from "../outbound-frame.js";
import type { Transport, TransportEvent, TransportSink } from "../transport.js";
import { createLineFramer, type LineFramer } from "./line-framer.js";
import { OutboundValve } from "./outbound-valve.js";

/**
 * Raw TCP as a `Transport`: newline-delimited JSON frames, one per line (see line-framer.ts).
 * TCP has no control frames, so three JSON lines stand in for WebSocket's:
 *
 * - `{"type":"ping"}` / `{"type":"pong"}` in either direction are liveness probes and answers.
 *   The transport answers a client's ping itself and turns a client's pong into `socket.pong`;
 *   neither reaches the codec. (Any JSON object whose `type` is "ping" or "pong" counts.)
 * - `{"type":"close","data":{"code":…,"reason":…}}` is the server's last line before its FIN,
 *   so a client learns why it was closed.
 *
 * Frames handed to `send` must not contain LF; JSON text never does (it escapes newlines).
 */

/** Stable codes of the errors this transport reports as `socket.error`. */
export const TcpErrorCode = {
  /** A line longer than `maxPayload` bytes; the connection is closed with 1009. */
  LINE_TOO_LONG: "SB_TCP_LINE_TOO_LONG",
  /** A line that is not valid UTF-8; the connection is closed with 1007. */
  INVALID_UTF8: "SB_TCP_INVALID_UTF8",
} as const;

export type TcpErrorCodeValue = (typeof TcpErrorCode)[keyof typeof TcpErrorCode];

/** A protocol violation by the peer: a stable `code` and the close code the transport used. */
export class TcpTransportError extends Error {
  override readonly name = "TcpTransportError";
  readonly code: TcpErrorCodeValue;
  readonly closeCode: number;

  constructor(code: TcpErrorCodeValue, message: string, closeCode: number) {
    super(message);
    this.code = code;
    this.closeCode = closeCode;
  }
}

export interface TcpTransportOptions {
  /** The longest line accepted, in bytes; a longer one closes the connection with 1009. */
  readonly maxPayload: number;
  /**
   * How long after `close()` the socket is destroyed if the peer has not sent its FIN. TCP has no
   * close handshake for the connection actor to time, and the transport closes on its own after
   * a protocol violation, so it keeps this timer itself. Default `Defaults.closeTimeout`.
   */
  readonly closeTimeout?: number;
}

const NEWLINE = Buffer.from("\n");
/** The key of a frame's TCP wire form: its bytes and the newline, in one buffer. */
const TCP_LINE_FORM = Symbol("tcp line");
const toLine = (bytes: Buffer): Buffer => Buffer.concat([bytes, NEWLINE]);
const PING_LINE = '{"type":"ping"}\n';
const PONG_LINE = '{"type":"pong"}\n';

/** `"ping"` or `"pong"` when the line is that control line, otherwise undefined. */
export function controlType(line: string): "ping" | "pong" | undefined {
  const type = typedLine(line, CONTROL_NAMES)?.type;
  return type === "ping" || type === "pong" ? type : undefined;
}

const CONTROL_NAMES = ["ping", "pong"] as const;

/** The line that tells a client why the server is closing its connection. */
export function closeLine(code: number, reason: string): string {
  return `${JSON.stringify({ type: "close", data: { code, reason } })}\n`;
}

/**
 * One accepted `net.Socket` as a `Transport`. Error and close listeners are attached at once, so
 * a socket that fails before `bind` never crashes the process; its events wait for the sink.
 * Reading starts at `bind`: until then the kernel holds what the client sends.
 *
 * @example
 * const transport = new TcpTransport(socket, { maxPayload: Defaults.maxPayload });
 * transport.bind((event) => actor.send(event));
 * transport.send('{"type":"welcome"}'); // written as one line
 */
export class TcpTransport implements Transport {
  readonly kind = "tcp";
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #framer: LineFramer;
  readonly #maxPayload: number;
  readonly #closeTimeout: number;
  #sink: TransportSink | undefined;
  /** Events that happened before `bind`. */
  #early: TransportEvent[] = [];
  /** Set by `close()`: the code `socket.closed` reports, whatever the peer does next. */
  #closing: { readonly code: number; readonly reason: string } | undefined;
  #failed = false;
  #valve: OutboundValve | undefined;
  /** Set while `takeFirstFrame` waits: the next frame goes to it instead of the sink. */
  #firstFrame: ((frame: string | undefined) => void) | undefined;
  #reading = false;

  constructor(socket: Socket, options: TcpTransportOptions) {
    this.#socket = socket;
    // Read now: a destroyed socket forgets its address.
    this.remoteAddress = socket.remoteAddress ?? "";
    this.#maxPayload = options.maxPayload;
    this.#closeTimeout = options.closeTimeout ?? Defaults.closeTimeout;
    this.#framer = createLineFramer({ maxLine: options.maxPayload });
    socket.on("error", (error) => this.#onError(error));
    socket.once("close", (hadError) => this.#onClose(hadError));
  }

  /** True once the socket is gone (the peer reset it, or it was destroyed): nobody to serve. */
  get destroyed(): boolean {
    return this.#socket.destroyed;
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  send(frame: string | OutboundFrame): void {
    if (!this.#writable()) return;
    const valve = this.#valve;
    if (valve && !valve.admit()) return;
    // A broadcast's frame is shared by every recipient: its line (frame + newline) is built once.
    this.#socket.write(
      typeof frame === "string" ? `${frame}\n` : frame.wireForm(TCP_LINE_FORM, toLine),
    );
    valve?.check(this.#socket.writableLength, this.#socket, this.#sink);
  }

  limitBuffer(maxBytes: number): void {
    this.#valve = new OutboundValve(maxBytes);
  }

  /** Writes the close line, then FIN; `socket.closed` reports `code` once the socket is gone. */
  close(code: number, reason: string): void {
    if (this.#closing || this.#socket.destroyed) return;
    this.#closing = { code, reason };
    const socket = this.#socket;
    if (socket.writable) socket.end(closeLine(code, reason));
    // Keep reading (and discarding) so the peer's FIN is seen even if `bind` never came.
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), this.#closeTimeout);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }

  terminate(): void {
    this.#socket.destroy();
  }

  ping(): void {
    this.#write(PING_LINE);
  }

  bind(sink: TransportSink): void {
    this.#sink = sink;
    const early = this.#early;
    this.#early = [];
    // Handed over once the binder has finished (the supervisor starts the actor right after
    // binding): events from before `bind` — a frame pipelined behind the auth frame, a socket
    // that closed early — must reach a running actor, not be dropped by one not yet started.
    if (early.length > 0) queueMicrotask(() => early.forEach(sink));
    this.#startReading();
  }

  /**
   * Reads before `bind` to take the connection's first frame (the TCP `auth` frame): resolves
   * with it, or undefined when none comes within `timeoutMs` or the peer goes away. Reading
   * pauses after it, so what the client sends next waits in the kernel until `bind`.
   */
  takeFirstFrame(timeoutMs: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      const socket = this.#socket;
      const done = (frame: string | undefined) => {
        clearTimeout(timer);
        socket.off("close", onClose);
        this.#firstFrame = undefined;
        socket.pause();
        resolve(frame);
      };
      const onClose = () => done(undefined);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      timer.unref();
      socket.once("close", onClose);
      this.#firstFrame = done;
      this.#startReading();
    });
  }

  #startReading(): void {
    if (this.#socket.destroyed) return;
    if (this.#reading) {
      this.#socket.resume();
      return;
    }
    this.#reading = true;
    this.#socket.on("data", (chunk: Buffer) => this.#onData(chunk));
  }

  #write(line: string): void {
    if (this.#writable()) this.#socket.write(line);
  }

  #writable(): boolean {
    return this.#closing === undefined && this.#socket.writable;
  }

  #emit(event: TransportEvent): void {
    if (this.#firstFrame && event.type === "socket.message") this.#firstFrame(event.frame);
    else if (this.#sink) this.#sink(event);
    else this.#early.push(event);
  }

  #onData(chunk: Buffer): void {
    // A closing connection takes no more frames; the data is read only to reach the FIN.
    if (this.#closing) return;
    const { lines, overflow, invalid } = this.#framer.push(chunk);
    for (const line of lines) {
      const control = controlType(line);
      if (control === "pong") this.#emit({ type: "socket.pong" });
      else if (control === "ping") this.#write(PONG_LINE);
      else this.#emit({ type: "socket.message", frame: line });
      // A listener may have closed the connection while handling the line.
      if (this.#closing) return;
    }
    if (overflow) {
      this.#violation(
        TcpErrorCode.LINE_TOO_LONG,
        `Line rejected: longer than maxPayload (${this.#maxPayload} bytes)`,
        CloseCode.MESSAGE_TOO_BIG,
      );
    } else if (invalid) {
      this.#violation(
        TcpErrorCode.INVALID_UTF8,
        "Line rejected: invalid UTF-8",
        CloseCode.INVALID_PAYLOAD,
      );
    }
  }

  /** Reports what the peer did wrong, then closes with the code it implies (as ws does). */
  #violation(code: TcpErrorCodeValue, message: string, closeCode: number): void {
    this.#emit({ type: "socket.error", error: new TcpTransportError(code, message, closeCode) });
    this.close(closeCode, message);
  }

  #onError(error: Error): void {
    this.#failed = true;
    // Once closing, a reset is just how some peers answer the close line: not worth reporting.
    if (!this.#closing) this.#emit({ type: "socket.error", error });
  }

  #onClose(hadError: boolean): void {
    if (this.#closing) {
      this.#emit({ type: "socket.closed", ...this.#closing });
      return;
    }
    // A FIN from the peer is a clean close; an error, a reset or terminate() is not.
    const clean = !hadError && !this.#failed && this.#socket.readableEnded;
    this.#emit(
      clean
        ? { type: "socket.closed", code: CloseCode.NORMAL, reason: "connection closed by client" }
        : { type: "socket.closed", code: CloseCode.ABNORMAL, reason: "connection lost" },
    );
  }
}
