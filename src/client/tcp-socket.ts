/**
 * The client side of the TCP transport (Node only): newline-delimited JSON frames, one per line.
 * `node:net` is imported dynamically, and only when a `tcp://` URL is opened, so the browser
 * path of the client never touches a Node built-in.
 *
 * TCP has no control frames, so the broker uses three JSON lines in their place, and they never
 * reach the application:
 * - `{"type":"ping"}` is the broker's heartbeat: answered with `{"type":"pong"}` at once;
 * - `{"type":"pong"}` would answer a ping of ours: ignored;
 * - `{"type":"close","data":{"code","reason"}}` is the broker's last line: its code and reason
 *   are what `close` reports.
 */
import type * as Net from "node:net";
import { ClientError, ClientErrorCode } from "./errors.js";
import { createLineSplitter } from "./line-splitter.js";
import type { ClientSocket, SocketHandlers } from "./socket.js";

/** Longest line accepted from the broker, in characters: a safety bound, not a protocol limit. */
const MAX_LINE = 64 * 1024 * 1024;
/** How long `close()` waits for the broker's FIN before destroying the socket. */
const CLOSE_TIMEOUT = 5_000;
const PONG_LINE = '{"type":"pong"}\n';
/** WebSocket's "abnormal closure": the connection ended without a close line. */
const ABNORMAL = 1006;

type Control =
  | { readonly type: "ping" | "pong" }
  | { readonly type: "close"; readonly code: number; readonly reason: string };

/** The control line `line` is, if any. Only lines naming a control type are parsed here. */
export function controlLine(line: string): Control | undefined {
  if (!line.includes('"ping"') && !line.includes('"pong"') && !line.includes('"close"')) {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, "type")) {
    return undefined;
  }
  const frame = value as { type: unknown; data?: unknown };
  if (frame.type === "ping" || frame.type === "pong") return { type: frame.type };
  if (frame.type !== "close") return undefined;
  const data = Object.hasOwn(frame, "data") ? frame.data : undefined;
  const { code, reason } = (typeof data === "object" && data !== null ? data : {}) as {
    code?: unknown;
    reason?: unknown;
  };
  return {
    type: "close",
    code: typeof code === "number" ? code : ABNORMAL,
    reason: typeof reason === "string" ? reason : "",
  };
}

/** `import()` by a specifier bundlers cannot see, so browser bundles never try to include it. */
async function importNodeModule<T>(specifier: string): Promise<T> {
  const module: unknown = await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
  return module as T;
}

/**
 * Opens `tcp://host:port`.
 *
 * @example
 * const socket = await openTcpSocket(new URL("tcp://127.0.0.1:8898"), handlers);
 */
export async function openTcpSocket(url: URL, handlers: SocketHandlers): Promise<ClientSocket> {
  const net = await importNodeModule<typeof Net>("node:net");
  // `[::1]` in a URL is `::1` to the resolver.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const socket = net.connect({ host, port: Number(url.port) });
  socket.setEncoding("utf8");
  socket.setNoDelay(true);
  const splitter = createLineSplitter(MAX_LINE);
  /** Why the connection ended: our `close()`, else the broker's close line. */
  let ending: { readonly code: number; readonly reason: string } | undefined;

  socket.on("connect", () => handlers.open());
  socket.on("data", (chunk: string) => {
    const { lines, overflow } = splitter.push(chunk);
    for (const line of lines) {
      const control = controlLine(line);
      if (control === undefined) handlers.message(line);
      else if (control.type === "ping") socket.write(PONG_LINE);
      else if (control.type === "close") ending ??= control;
    }
    if (overflow) {
      const message = `Invalid frame: a line over ${MAX_LINE} characters`;
      handlers.error(new ClientError(ClientErrorCode.INVALID_FRAME, message));
      socket.destroy();
    }
  });
  socket.on("error", (error) => handlers.error(error));
  socket.once("close", () => {
    handlers.close(ending?.code ?? ABNORMAL, ending?.reason ?? "connection lost");
  });

  return {
    protocol: "switchboard.json",
    send(text) {
      if (socket.writable) socket.write(`${text}\n`);
    },
    close(code, reason) {
      ending = { code, reason };
      if (socket.connecting || socket.destroyed) {
        socket.destroy();
        return;
      }
      // FIN, then wait for the broker's; a broker that never answers is cut off.
      socket.end();
      const timer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT);
      timer.unref();
      socket.once("close", () => clearTimeout(timer));
    },
  };
}
