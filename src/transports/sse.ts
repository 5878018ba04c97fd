import type { ServerResponse } from "node:http";
import { CloseCode } from "../constants.js";
import type { OutboundFrame } from "../outbound-frame.js";
import type { Transport, TransportSink } from "../transport.js";
import { OutboundValve } from "./outbound-valve.js";

/** The comment line written as a keepalive; EventSource ignores comments. */
const KEEPALIVE = ": keepalive\n\n";

/**
 * One Server-Sent Events stream as a `Transport`. It only writes: SSE is one-way. A "ping" is a
 * keepalive comment, and its "pong" is the write being flushed to the kernel: a peer that has
 * vanished, or stopped reading, leaves the write pending and the heartbeat closes the stream.
 */
export class SseTransport implements Transport {
  readonly kind = "sse";
  readonly remoteAddress: string;
  readonly #response: ServerResponse;
  #sink: TransportSink | undefined;
  /** Set when the server ends the stream, so the close is reported with the server's code. */
  #endedWith: number | undefined;
  #errored = false;
  #valve: OutboundValve | undefined;

  constructor(response: ServerResponse, remoteAddress: string) {
    this.#response = response;
    this.remoteAddress = remoteAddress;
  }

  get bufferedAmount(): number {
    return this.#response.writableLength;
  }

  send(frame: string | OutboundFrame): void {
    if (this.#response.writableEnded) return;
    const valve = this.#valve;
    if (valve && !valve.admit()) return;
    this.#response.write(typeof frame === "string" ? frame : frame.bytes);
    valve?.check(this.#response.writableLength, this.#response, this.#sink);
  }

  limitBuffer(maxBytes: number): void {
    this.#valve = new OutboundValve(maxBytes);
  }

  /** Ends the stream (SSE has no close frame: the client sees the stream end). */
  close(code: number): void {
    this.#endedWith ??= code;
    if (!this.#response.writableEnded) this.#response.end();
  }

  terminate(): void {
    this.#endedWith ??= CloseCode.ABNORMAL;
    this.#response.destroy();
  }

  ping(): void {
    if (this.#response.writableEnded) return;
    this.#response.write(KEEPALIVE, (error) => {
      if (!error) this.#sink?.({ type: "socket.pong" });
    });
  }

  bind(sink: TransportSink): void {
    this.#sink = sink;
    const response = this.#response;
    response.on("error", (error) => {
      this.#errored = true;
      sink({ type: "socket.error", error });
    });
    // "close" fires however the stream ends: our end(), the client going away, a reset. SSE
    // has no close codes: a client that hangs up counts as a normal close, a reset as 1006.
    response.on("close", () => {
      if (this.#endedWith !== undefined) {
        sink({ type: "socket.closed", code: this.#endedWith, reason: "" });
        return;
      }
      const code = this.#errored ? CloseCode.ABNORMAL : CloseCode.NORMAL;
      sink({ type: "socket.closed", code, reason: "stream closed by client" });
    });
  }
}
