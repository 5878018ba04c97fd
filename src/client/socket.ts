/**
 * The one shape the client drives, whatever carries it: a `ClientSocket` and the handlers it
 * calls. `openWebSocket` adapts the WHATWG `WebSocket` (browsers, Node 22+) or, where there is
 * none (Node 20), the `ws` package through its identical browser-style API. `ws` is loaded with
 * a dynamic `import()` that only runs when no global `WebSocket` exists, so browsers never load it.
 */

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

/** The platform's `WebSocket`, else `ws` (Node 20). */
async function webSocketConstructor(): Promise<WebSocketConstructor> {
  const platform: unknown = Reflect.get(globalThis, "WebSocket");
  if (typeof platform === "function") return platform as WebSocketConstructor;
  const { WebSocket } = await import("ws");
  return WebSocket as unknown as WebSocketConstructor;
}

/**
 * Opens a WebSocket offering `protocols` as subprotocols.
 *
 * @example
 * const socket = await openWebSocket("ws://127.0.0.1:8899/ws", ["switchboard.json"], handlers);
 */
export async function openWebSocket(
  url: string,
  protocols: readonly string[],
  handlers: SocketHandlers,
): Promise<ClientSocket> {
  const WebSocketClass = await webSocketConstructor();
  const socket = new WebSocketClass(url, [...protocols]);
  socket.onopen = () => handlers.open();
  socket.onmessage = ({ data }) => {
    if (typeof data === "string") handlers.message(data);
    else {
      const message = "Invalid frame: a binary frame (the protocols are text)";
      handlers.error(new ClientError(ClientErrorCode.INVALID_FRAME, message));
    }
  };
  socket.onerror = (event) => {
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
