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
 *
 * TCP has no request to carry a token either: with one, the auth frame is the first line, and
 * the socket reports `open` only once the broker answers `{"type":"auth","data":{"ok":true}}`
 * (which never reaches the application); a refusal (an error line, then close 1008) is reported
 * as an `error` carrying the broker's code, so the attempt fails without ever opening.
 */
import type * as Net from "node:net";
import { typedLine } from "../../protocols/control-line.js";
import { type AuthAnswer, readAuthAnswer, refusalError } from "./auth.js";
import { ClientError, ClientErrorCode } from "./errors.js";
import { jsonFrames } from "./frames.js";
import { createLineSplitter } from "./line-splitter.js";
import type { ClientSocket, SocketHandlers } from "./socket.js";

/** The first line of an authenticated TCP connection, and how long its answer may take. */
export interface TcpHandshake {
  /** The auth frame, without its newline. */
  readonly line: string;
  /** In ms; a broker without `authenticate` never answers, and would read the line as an event. */
  readonly timeout: number;
}

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

const CONTROL_NAMES = ["ping", "pong", "close"] as const;

/** The control line `line` is, if any. Only lines naming a control type are parsed here. */
export function controlLine(line: string): Control | undefined {
  const frame = typedLine(line, CONTROL_NAMES);
  if (!frame) return undefined;
  if (frame.type === "ping" || frame.type === "pong") return { type: frame.type };
  if (frame.type !== "close") return undefined;
  const { data } = frame;
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
export async function openTcpSocket(
  url: URL,
  handlers: SocketHandlers,
  handshake?: TcpHandshake,
): Promise<ClientSocket> {
  const net = await importNodeModule<typeof Net>("node:net");
  // `[::1]` in a URL is `::1` to the resolver.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const socket = net.connect({ host, port: Number(url.port) });
  socket.setEncoding("utf8");
  socket.setNoDelay(true);
  const splitter = createLineSplitter(MAX_LINE);
  /** Why the connection ended: our `close()`, else the broker's close line. */
  let ending: { readonly code: number; readonly reason: string } | undefined;
  /** Lines go to the application once the broker admitted us (at once without a handshake). */
  let admitted = handshake === undefined;
  let answerTimer: ReturnType<typeof setTimeout> | undefined;
  let answered = false;

  /** Reads the answer to the auth frame: opens, or reports the refusal (close 1008 follows). */
  const readAnswer = (line: string) => {
    // After a refusal only the close line is expected; anything else is not for the application.
    if (answered) return;
    answered = true;
    clearTimeout(answerTimer);
    const answer: AuthAnswer | undefined = readAuthAnswer(jsonFrames().decode(line), true);
    if (answer?.ok) {
      admitted = true;
      handlers.open();
      return;
    }
    if (answer) {
      // `internal` (authenticate threw) or capacity codes are failures to retry, not refusals.
      const what = answer.code === ClientErrorCode.UNAUTHORIZED ? "token" : "connection";
      const said = answer.message ? `${answer.code}: ${answer.message}` : answer.code;
      handlers.error(refusalError(answer.code, `the broker refused the ${what} (${said})`));
      return;
    }
    const message = `Invalid frame: expected the answer to the auth frame, got ${line.slice(0, 200)}`;
    handlers.error(new ClientError(ClientErrorCode.INVALID_FRAME, message));
    socket.destroy();
  };

  socket.on("connect", () => {
    if (handshake === undefined) {
      handlers.open();
      return;
    }
    socket.write(`${handshake.line}\n`);
    answerTimer = setTimeout(() => {
      const message = `no answer to the auth frame within ${handshake.timeout} ms (does the broker have authenticate?)`;
      handlers.error(new ClientError(ClientErrorCode.CONNECT_FAILED, message));
      socket.destroy();
    }, handshake.timeout);
  });
  socket.on("data", (chunk: string) => {
    const { lines, overflow } = splitter.push(chunk);
    for (const line of lines) {
      const control = controlLine(line);
      if (control === undefined) {
        if (admitted) handlers.message(line);
        else readAnswer(line);
      } else if (control.type === "ping") socket.write(PONG_LINE);
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
    clearTimeout(answerTimer);
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
