import type { WebSocket } from "ws";
import type { Transport, TransportSink } from "../transport.js";

// Options for every text frame: the payload is already encoded; never compress (permessage-
// deflate is off on the server) and never mask (servers must not).
const TEXT_FRAME = { binary: false, compress: false } as const;

/**
 * One accepted `ws` socket as a `Transport`. A class rather than an object of closures: with
 * thousands of connections, methods on the prototype cost nothing per socket.
 */
export class WebSocketTransport implements Transport {
  readonly kind = "websocket";
  readonly remoteAddress: string;
  readonly #socket: WebSocket;

  constructor(socket: WebSocket, remoteAddress: string) {
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  send(frame: string | Buffer): void {
    this.#socket.send(frame, TEXT_FRAME);
  }

  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  terminate(): void {
    this.#socket.terminate();
  }

  ping(): void {
    this.#socket.ping();
  }

  bind(sink: TransportSink): void {
    const socket = this.#socket;
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        sink({ type: "socket.binary", byteLength: byteLengthOf(data) });
        return;
      }
      // ws has already validated UTF-8 (an invalid text frame closes with 1007 before this).
      sink({ type: "socket.message", frame: data.toString() });
    });
    socket.on("pong", () => sink({ type: "socket.pong" }));
    // ws emits "error" for protocol violations (invalid UTF-8, oversized frames) and then
    // closes the socket itself; the listener also keeps the process from crashing.
    socket.on("error", (error) => sink({ type: "socket.error", error }));
    socket.on("close", (code, reason) =>
      sink({ type: "socket.closed", code, reason: reason.toString() }),
    );
  }
}

function byteLengthOf(data: Buffer | ArrayBuffer | Buffer[]): number {
  if (Array.isArray(data)) return data.reduce((total, chunk) => total + chunk.length, 0);
  return data.byteLength;
}
