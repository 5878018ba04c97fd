import * as ws from "ws";
import { WebSocket } from "ws";
import type { OutboundFrame } from "../outbound-frame.js";
import type { Transport, TransportSink } from "../transport.js";
import { OutboundValve } from "./outbound-valve.js";

// Options for every text frame: the payload is already encoded; never compress (permessage-
// deflate is off on the server) and never mask (servers must not).
const TEXT_FRAME = { binary: false, compress: false } as const;
const FRAME_OPTIONS = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false } as const;

/** The key of a frame's WebSocket wire form (header and payload in one buffer). */
const WEBSOCKET_FORM = Symbol("websocket frame");

/**
 * ws's sender, which writes a ready frame straight to the socket. Reaching it is what Socket.IO
 * does for broadcasts too: with compression off and no Blob sends, ws's own `send` would only
 * add framing work per recipient on top of this very call.
 */
interface FrameWriter {
  sendFrame(list: Buffer[], callback?: (error?: Error) => void): void;
}

/** The TCP socket under a ws socket (ws keeps it in `_socket`): to cork it, to await `drain`. */
interface RawSocket {
  readonly writableCorked: number;
  readonly writableNeedDrain: boolean;
  cork(): void;
  uncork(): void;
  once(event: "drain", listener: () => void): unknown;
}

function rawSocketOf(socket: WebSocket): RawSocket {
  return (socket as unknown as { _socket: RawSocket })._socket;
}

function frameWriterOf(socket: WebSocket): FrameWriter {
  return (socket as unknown as { _sender: FrameWriter })._sender;
}

// ws exports its Sender at run time; its type declarations do not.
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: typeof FRAME_OPTIONS): Buffer[] };
};

function buildWebSocketFrame(bytes: Buffer): Buffer {
  return Buffer.concat(Sender.frame(bytes, FRAME_OPTIONS));
}

/**
 * One accepted `ws` socket as a `Transport`. A class rather than an object of closures: with
 * thousands of connections, methods on the prototype cost nothing per socket.
 */
export class WebSocketTransport implements Transport {
  readonly kind = "websocket";
  readonly remoteAddress: string;
  readonly #socket: WebSocket;
  #valve: OutboundValve | undefined;

  constructor(socket: WebSocket, remoteAddress: string) {
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  send(frame: string | OutboundFrame): void {
    // Nothing goes out once closing (ws would only count it in bufferedAmount for good).
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    const valve = this.#valve;
    if (valve && !valve.admit()) return;
    if (typeof frame === "string") {
      this.#socket.send(frame, TEXT_FRAME);
    } else {
      // Shared by every recipient: framed once, written as one buffer, never copied.
      frameWriterOf(this.#socket).sendFrame([frame.wireForm(WEBSOCKET_FORM, buildWebSocketFrame)]);
    }
    // While corked for a tick's batch nothing has been offered to the kernel yet: the backlog
    // is measured once the batch is written (see `uncork`).
    const raw = rawSocketOf(this.#socket);
    if (valve && raw.writableCorked === 0)
      valve.check(this.#socket.bufferedAmount, raw, sinkOf(this.#socket));
  }

  limitBuffer(maxBytes: number): void {
    this.#valve = new OutboundValve(maxBytes);
  }

  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  terminate(): void {
    this.#socket.terminate();
  }

  cork(): void {
    rawSocketOf(this.#socket).cork();
  }

  uncork(): void {
    const raw = rawSocketOf(this.#socket);
    raw.uncork();
    this.#valve?.check(this.#socket.bufferedAmount, raw, sinkOf(this.#socket));
  }

  ping(): void {
    this.#socket.ping();
  }

  bind(sink: TransportSink): void {
    const socket = this.#socket as BoundSocket;
    socket[SINK] = sink;
    socket.on("message", onMessage);
    socket.on("pong", onPong);
    // ws emits "error" for protocol violations (invalid UTF-8, oversized frames) and then
    // closes the socket itself; the listener also keeps the process from crashing.
    socket.on("error", onError);
    socket.on("close", onClose);
  }
}

// The socket's listeners are shared functions, not closures per socket: ws calls them with the
// socket as `this`, and the socket carries its sink. Four closures and their scope would cost
// about 300 bytes per connection.

/** Where a bound socket's events go (see `WebSocketTransport.bind`). */
const SINK = Symbol("switchboard sink");

type BoundSocket = WebSocket & { [SINK]: TransportSink };

const sinkOf = (socket: WebSocket): TransportSink => (socket as BoundSocket)[SINK];

function onMessage(this: WebSocket, data: ws.RawData, isBinary: boolean): void {
  if (isBinary) {
    sinkOf(this)({ type: "socket.binary", byteLength: byteLengthOf(data) });
    return;
  }
  // ws has already validated UTF-8 (an invalid text frame closes with 1007 before this).
  sinkOf(this)({ type: "socket.message", frame: data.toString() });
}

function onPong(this: WebSocket): void {
  sinkOf(this)({ type: "socket.pong" });
}

function onError(this: WebSocket, error: Error): void {
  sinkOf(this)({ type: "socket.error", error });
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  sinkOf(this)({ type: "socket.closed", code, reason: reason.toString() });
}

function byteLengthOf(data: Buffer | ArrayBuffer | Buffer[]): number {
  if (Array.isArray(data)) return data.reduce((total, chunk) => total + chunk.length, 0);
  return data.byteLength;
}
