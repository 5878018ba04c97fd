/**
 * Which socket a client opens, and with which credentials: a WebSocket for `ws(s)://` (in Node
 * with `Authorization: Bearer <token>` when there is a token), a TCP socket for `tcp://` (the
 * auth frame as its first line). The token is read per attempt, so a token function is called on
 * every connect and may hand out a fresh token each time.
 */
import { authFrame, type Credentials } from "./auth.js";
import type { FrameCodec } from "./frames.js";
import { openWebSocket, type SocketOpener } from "./socket.js";
import { openTcpSocket } from "./tcp-socket.js";
import { isNode } from "./url.js";

export interface OpenerOptions {
  readonly target: URL;
  /** Offered as WebSocket subprotocols (`switchboard.<protocol>`). */
  readonly subprotocols: readonly string[];
  readonly credentials: Credentials;
  readonly frames: FrameCodec;
  /** How long a TCP auth frame's answer may take, in ms. */
  readonly answerTimeout: number;
}

export function socketOpener(options: OpenerOptions): SocketOpener {
  const { target, subprotocols, credentials, frames, answerTimeout } = options;
  const tcp = target.protocol === "tcp:";
  // A browser's WebSocket cannot carry the token (a cookie does): it only serves renewals there.
  const tokenOnConnect = tcp || isNode();
  return async (handlers) => {
    const token = tokenOnConnect ? await credentials.current() : undefined;
    if (!tcp) return openWebSocket(target.href, subprotocols, handlers, token);
    const handshake =
      token === undefined ? undefined : { line: authFrame(frames, token), timeout: answerTimeout };
    return openTcpSocket(target, handlers, handshake);
  };
}
