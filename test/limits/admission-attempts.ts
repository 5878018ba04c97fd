import { once } from "node:events";
import { connect, Socket } from "node:net";
import type { HeldCall } from "../helpers/held-authenticate.js";
import { openRaw, upgradeRequest } from "../helpers/raw-websocket.js";

/**
 * One attempt to become a client, on any transport, from a raw socket the test can reset: what
 * the broker answered is reduced to one word, so a test reads the same for all three.
 */
export type Verdict =
  /** 101 (WebSocket), 200 (SSE stream), `{"type":"auth","data":{"ok":true}}` (TCP). */
  | "admitted"
  /** 401, or an `unauthorized` error line. */
  | "unauthorized"
  /** 500, or an `internal` error line. */
  | "internal"
  /** 503, or the close line with 1013. */
  | "full"
  /** The socket closed before any answer (the test reset it). */
  | "gone";

export type TransportKind = "websocket" | "sse" | "tcp";

export interface Attempt {
  readonly kind: TransportKind;
  readonly verdict: Promise<Verdict>;
  /** Resets the connection (RST), as a peer giving up mid-handshake would; resolves once closed. */
  reset(): Promise<void>;
  /** Closes the connection from the client side; resolves once closed. */
  close(): Promise<void>;
}

export interface Ports {
  /** The HTTP port: WebSocket upgrades and SSE streams. */
  readonly port: number;
  readonly tcpPort: number;
}

/** Every attempt's socket still open, destroyed by `destroyAttempts` after each test. */
const openSockets = new Set<Socket>();

function track(socket: Socket): void {
  openSockets.add(socket);
  socket.once("close", () => openSockets.delete(socket));
}

/**
 * Destroys what the tests left open. A raw WebSocket never answers the broker's closing
 * handshake, so leaving them to `broker.close()` would cost its `closeTimeout` per test.
 */
export async function destroyAttempts(): Promise<void> {
  const closing = [...openSockets].map(
    (socket) => new Promise<void>((resolve) => socket.once("close", () => resolve())),
  );
  for (const socket of openSockets) socket.destroy();
  await Promise.all(closing);
}

const STATUS_VERDICTS: ReadonlyMap<number, Verdict> = new Map([
  [101, "admitted"],
  [200, "admitted"],
  [401, "unauthorized"],
  [500, "internal"],
  [503, "full"],
]);

function sseRequest(channel: string): string {
  return `GET /events/${channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`;
}

function httpAttempt(kind: "websocket" | "sse", port: number): Attempt {
  const raw = openRaw(port, kind === "websocket" ? upgradeRequest() : sseRequest("news"));
  track(raw.socket);
  const verdict = raw.response.then(
    (response) => {
      const word = STATUS_VERDICTS.get(response.status);
      if (!word) throw new Error(`Unexpected status ${response.status}`);
      return word;
    },
    (): Verdict => "gone",
  );
  return {
    kind,
    verdict,
    reset: async () => {
      raw.socket.resetAndDestroy();
      await raw.ended;
    },
    close: async () => {
      raw.destroy();
      await raw.ended;
    },
  };
}

/** The verdict of a TCP client's first line from the broker. */
function lineVerdict(line: string): Verdict {
  const frame = JSON.parse(line) as { type?: string; data?: { code?: unknown; ok?: unknown } };
  if (frame.type === "auth" && frame.data?.ok === true) return "admitted";
  if (frame.type === "close" && frame.data?.code === 1013) return "full";
  if (frame.type === "error" && frame.data?.code === "unauthorized") return "unauthorized";
  if (frame.type === "error" && frame.data?.code === "internal") return "internal";
  throw new Error(`Unexpected first line ${line}`);
}

async function tcpAttempt(port: number): Promise<Attempt> {
  const socket = connect({ host: "127.0.0.1", port, noDelay: true });
  // A reset is an outcome the tests ask for, not a failure.
  socket.on("error", () => {});
  track(socket);
  await once(socket, "connect");
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const verdict = new Promise<Verdict>((resolve, reject) => {
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const end = received.indexOf("\n");
      if (end < 0) return;
      try {
        resolve(lineVerdict(received.slice(0, end)));
      } catch (error) {
        reject(error);
      }
    });
    void ended.then(() => resolve("gone"));
  });
  // Sent at once: a socket refused on arrival never has it read, one admitted waits on it.
  socket.write(`${JSON.stringify({ type: "auth", data: { token: "t" } })}\n`);
  return {
    kind: "tcp",
    verdict,
    reset: async () => {
      socket.resetAndDestroy();
      await ended;
    },
    close: async () => {
      socket.destroy();
      await ended;
    },
  };
}

/** Starts an attempt on `kind`; resolves once its socket is connected and its request sent. */
export async function attempt(kind: TransportKind, ports: Ports): Promise<Attempt> {
  return kind === "tcp" ? tcpAttempt(ports.tcpPort) : httpAttempt(kind, ports.port);
}

/**
 * Resolves once the broker's side of an HTTP attempt's socket has closed (it saw the reset).
 * TCP's `authenticate` request carries no socket, so it cannot be watched this way.
 */
export async function serverSawClose(call: HeldCall): Promise<void> {
  const { socket } = call.request;
  if (!(socket instanceof Socket)) throw new Error("No TCP socket on the request");
  // Not `once(socket, "close")`: that rejects on the reset's own 'error' event.
  if (!socket.closed) await new Promise<void>((resolve) => socket.once("close", () => resolve()));
}
