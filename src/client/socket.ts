/**
 * The one shape the client drives, whatever carries it: a `ClientSocket` and the handlers it
 * calls. `openWebSocket` adapts the WHATWG `WebSocket` (browsers, Node 22+) or, where there is
 * none (Node 20) or a token must ride on the upgrade (Node only: the WHATWG API has no headers),
 * the `ws` package through its identical browser-style API. `ws` is loaded with a dynamic
 * `import()` that only runs on those paths, so browsers never load it.
 */

import { refusalError } from "./auth.js";
import { ClientError, ClientErrorCode } from "./errors.js";

/** What a socket reports; each socket calls `close` exactly once, last. */
export interface SocketHandlers {
  open(): void;
  /** One text frame. */
  message(text: string): void;
  close(code: number, reason: string): void;
  /** A failure (a `close` follows), or a `ClientError` for a frame it cannot deliver. */
  error(error: Error): void;
}

export interface ClientSocket {
  /** The subprotocol the server chose: `switchboard.json`, or "" for none. */
  readonly protocol: string;
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** Opens a socket; resolves once it exists (not once it is open). Handlers are wired first. */
export type SocketOpener = (handlers: SocketHandlers) => Promise<ClientSocket>;

/** The browser `WebSocket` API, as far as this client uses it; `ws` implements it too. */
interface WebSocketLike {
  readonly protocol: string;
  onopen: (() => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: { readonly message?: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The answer to a refused upgrade, as `ws` hands it over (a Node `IncomingMessage`). */
interface RefusedResponse {
  readonly statusCode?: number | undefined;
  setEncoding(encoding: "utf8"): void;
  on(event: "data", listener: (chunk: string) => void): void;
  once(event: "end" | "close" | "error", listener: () => void): void;
}

/** `ws`'s own WebSocket: the browser API plus upgrade headers and the refused answer. */
interface NodeWebSocket extends WebSocketLike {
  on(
    event: "unexpected-response",
    listener: (request: unknown, response: RefusedResponse) => void,
  ): void;
  terminate(): void;
}

type NodeWebSocketConstructor = new (
  url: string,
  protocols: string[],
  options: { readonly headers: Readonly<Record<string, string>> },
) => NodeWebSocket;

/** How much of a refusal's body is quoted in the error: the broker's one-line message. */
const REFUSAL_BODY_MAX = 512;

/** The platform's `WebSocket`, else `ws` (Node 20). */
async function webSocketConstructor(): Promise<WebSocketConstructor> {
  const platform: unknown = Reflect.get(globalThis, "WebSocket");
  if (typeof platform === "function") return platform as WebSocketConstructor;
  return (await import("ws")).WebSocket as unknown as WebSocketConstructor;
}

/**
 * Opens a WebSocket offering `protocols` as subprotocols. With a `token` (Node only) the upgrade
 * carries `Authorization: Bearer <token>`, through `ws`.
 *
 * @example
 * const socket = await openWebSocket("ws://127.0.0.1:8899/ws", ["switchboard.json"], handlers);
 */
export async function openWebSocket(
  url: string,
  protocols: readonly string[],
  handlers: SocketHandlers,
  token?: string,
): Promise<ClientSocket> {
  let socket: WebSocketLike;
  /** Set once an upgrade was refused: `ws`'s own error for the aborted handshake says less. */
  let refused = false;
  const refuse = (error: ClientError) => {
    refused = true;
    handlers.error(error);
  };
  if (token === undefined) {
    const WebSocketClass = await webSocketConstructor();
    socket = new WebSocketClass(url, [...protocols]);
  } else {
    const NodeWebSocketClass = (await import("ws"))
      .WebSocket as unknown as NodeWebSocketConstructor;
    const authorization = `Bearer ${token}`;
    socket = new NodeWebSocketClass(url, [...protocols], { headers: { authorization } });
  }
  if ("terminate" in socket) watchRefusal(socket as NodeWebSocket, refuse);
  socket.onopen = () => handlers.open();
  socket.onmessage = ({ data }) => {
    if (typeof data === "string") handlers.message(data);
    else {
      const message = "Invalid frame: a binary frame (the protocols are text)";
      handlers.error(new ClientError(ClientErrorCode.INVALID_FRAME, message));
    }
  };
  socket.onerror = (event) => {
    if (refused) return;
    // Browsers say nothing about the cause; `ws` puts it in `message`.
    const message = typeof event.message === "string" ? event.message : "WebSocket error";
    handlers.error(new Error(message));
  };
  socket.onclose = ({ code, reason }) => handlers.close(code, reason);
  return {
    get protocol() {
      return socket.protocol;
    },
    send: (text) => socket.send(text),
    close: (code, reason) => socket.close(code, reason),
  };
}

/**
 * Reads why `ws` was refused the upgrade (status and the broker's one-line body), reports it,
 * then ends the handshake. A browser's WebSocket never tells: there a refusal is a plain failure.
 */
function watchRefusal(socket: NodeWebSocket, refuse: (error: ClientError) => void): void {
  socket.on("unexpected-response", (_request, response) => {
    const status = response.statusCode ?? 0;
    let body = "";
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      const said = body.trim().slice(0, REFUSAL_BODY_MAX);
      const why = said === "" ? "" : ` (${said})`;
      const code =
        status === 401
          ? ClientErrorCode.UNAUTHORIZED
          : status === 403
            ? ClientErrorCode.FORBIDDEN
            : ClientErrorCode.CONNECT_FAILED;
      refuse(refusalError(code, `the upgrade was refused with ${status}${why}`));
      socket.terminate();
    };
    response.setEncoding("utf8");
    response.on("data", (chunk) => {
      if (body.length < REFUSAL_BODY_MAX) body += chunk;
    });
    response.once("end", settle);
    response.once("close", settle);
    response.once("error", settle);
  });
}
