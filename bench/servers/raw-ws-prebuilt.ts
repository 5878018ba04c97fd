/**
 * Peer: a bare `ws` server that frames each broadcast ONCE and writes the
 * same frame to every socket, as Socket.IO's in-memory adapter does
 * (`WebSocket.Sender.frame` + `ws._sender.sendFrame`, see
 * https://github.com/websockets/ws/issues/617#issuecomment-283002469).
 *
 * Both are private `ws` API, typed here as narrowly as they are used. The frame
 * is safe to share: unmasked (server frames never are), uncompressed
 * (`perMessageDeflate: false`), and no socket's sender ever queues (it does
 * only while compressing or reading a Blob), so writing past the queue keeps
 * the order.
 */
import * as wsModule from "ws";
import { WebSocket } from "ws";
import { serve } from "./harness.js";
import { startWsServer } from "./ws-base.js";

interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}

/**
 * `ws`'s `Sender` class, static side: not in @types/ws. CommonJS code reaches it as
 * `WebSocket.Sender`; from ESM it is the module's named export `Sender`.
 */
interface SenderClass {
  frame(data: Buffer, options: FrameOptions): Buffer[];
}

/** A socket's own `Sender`: `sendFrame` writes an already framed message. */
interface SocketInternals {
  _sender: { sendFrame(list: Buffer[], cb?: (error?: Error) => void): void };
}

const { Sender } = wsModule as unknown as { Sender: SenderClass };
const TEXT = 0x1;

serve((mode) =>
  startWsServer("raw ws prebuilt", mode, (targets, data) => {
    const frame = Sender.frame(data, {
      fin: true,
      rsv1: false,
      opcode: TEXT,
      mask: false,
      readOnly: false,
    });
    for (const client of targets) {
      // `send` checks the state itself; past it, a closing socket must be skipped here.
      if (client.readyState !== WebSocket.OPEN) continue;
      (client as unknown as SocketInternals)._sender.sendFrame(frame);
    }
  }),
);
