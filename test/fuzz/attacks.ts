/**
 * Runs one fuzz operation against a live broker and resolves once every socket it opened is
 * closed, so the runner knows when the broker should have forgotten it. Nothing here sleeps: each
 * step waits for a socket event, bounded by `within` so a hang fails with a name.
 */
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import WebSocket from "ws";
import { type FuzzRequest, type Operation, ROOM } from "./operations.js";
import { encodeFrame } from "./ws-frames.js";

export interface Target {
  readonly host: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  /** The well-behaved clients' room, which `ROOM` in a request path stands for. */
  readonly room: string;
}

/** What the runner learns from an operation besides "it finished". */
export interface Outcome {
  /** The HTTP status the broker answered, for `http` operations that got one. */
  readonly status?: number;
}

/** Generous: a close that takes this long on a busy machine is a hang, not a slow test. */
const LIMIT_MS = 10_000;

/** `promise`, or a rejection naming `what` after `ms`: a hang is a finding, not a stall. */
export function within<T>(promise: Promise<T>, what: string, ms = LIMIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function closed(socket: Socket): Promise<void> {
  return socket.destroyed && socket.closed
    ? Promise.resolve()
    : new Promise((resolve) => socket.once("close", () => resolve()));
}

function write(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || !socket.writable) resolve();
    // Resolves on success and on EPIPE/ECONNRESET alike: the server may well hang up first.
    else socket.write(bytes, () => resolve());
  });
}

async function openSocket(host: string, port: number): Promise<Socket> {
  const socket = connect({ host, port });
  socket.on("error", () => {
    // Resets are expected: the server refuses what it cannot read.
  });
  socket.resume(); // read and drop whatever the server answers
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("close", () => reject(new Error("closed before connecting")));
    }),
    `connect to ${port}`,
  );
  return socket;
}

/**
 * Writes the chunks, then half-closes (FIN) and waits for the server to close its side: a server
 * that keeps a half-closed, unreadable connection forever would leak it.
 */
async function sendAndHangUp(socket: Socket, chunks: readonly Uint8Array[], what: string) {
  const gone = closed(socket);
  for (const chunk of chunks) await write(socket, chunk);
  socket.end();
  await within(gone, `${what}: the server did not close after the client's FIN`);
}

/** The raw socket after a valid upgrade, with the response head read off it. */
async function upgrade(target: Target, query: string): Promise<Socket> {
  const socket = await openSocket(target.host, target.httpPort);
  socket.pause();
  const key = randomBytes(16).toString("base64");
  socket.write(
    `GET /ws${query} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let head = "";
  await within(
    new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        socket.off("data", onData);
        if (head.startsWith("HTTP/1.1 101")) resolve();
        else reject(new Error(`upgrade refused: ${head.split("\r\n")[0]}`));
      };
      socket.on("data", onData);
      socket.once("close", () => reject(new Error("closed during the upgrade")));
      socket.resume();
    }),
    "WebSocket upgrade",
  );
  socket.resume();
  return socket;
}

async function sendTexts(target: Target, op: Extract<Operation, { kind: "texts" }>) {
  const url = `ws://${target.host}:${target.httpPort}/ws?protocol=${op.protocol}`;
  const socket = new WebSocket(url);
  const gone = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => {
    // An invalid-UTF-8 text frame gets 1007; the close is what is awaited.
  });
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("close", () => reject(new Error("closed before opening")));
    }),
    "ws open",
  );
  for (const text of op.texts) {
    if (socket.readyState !== WebSocket.OPEN) break;
    // As a Buffer with binary false: the bytes go out as they are, invalid UTF-8 included.
    await new Promise<void>((resolve) => socket.send(text, { binary: false }, () => resolve()));
  }
  if (op.leave === "terminate") socket.terminate();
  else socket.close(1000);
  await within(gone, "ws close");
}

async function sendRequest(target: Target, fuzz: FuzzRequest): Promise<Outcome> {
  let request: ReturnType<typeof httpRequest>;
  try {
    request = httpRequest({
      host: target.host,
      port: target.httpPort,
      method: fuzz.method,
      path: fuzz.path.replace(ROOM, encodeURIComponent(target.room)),
      headers: fuzz.headers,
      agent: false,
    });
  } catch {
    // http.request refused the path or a header itself: nothing reached the broker.
    return {};
  }
  // agent: false gives the request a socket of its own, whose close is the end of the story.
  const gone = new Promise<void>((resolve) => {
    request.once("socket", (socket) => {
      socket.once("close", () => resolve());
    });
  });
  const answered = new Promise<Outcome>((resolve) => {
    const settle = (outcome: Outcome) => {
      request.destroy();
      resolve(outcome);
    };
    // Only the status is wanted: an SSE stream would never end, so the socket is dropped.
    request.once("response", (response) => settle({ status: response.statusCode ?? 0 }));
    request.once("upgrade", (response, socket) => {
      socket.destroy();
      settle({ status: response.statusCode ?? 0 });
    });
    request.once("error", () => settle({}));
  });
  if (fuzz.body) request.write(fuzz.body);
  request.end();
  const outcome = await within(answered, `${fuzz.method} ${fuzz.path}`);
  await within(gone, `${fuzz.method} ${fuzz.path}: close`);
  return outcome;
}

/** Runs one non-broadcast operation to the end; every socket it opened is closed on return. */
export async function attack(target: Target, op: Operation): Promise<Outcome> {
  switch (op.kind) {
    case "bytes": {
      const port = op.port === "http" ? target.httpPort : target.tcpPort;
      const socket = await openSocket(target.host, port);
      await sendAndHangUp(socket, op.chunks, `bytes to the ${op.port} port`);
      return {};
    }
    case "frames": {
      const socket = await upgrade(target, op.query);
      await sendAndHangUp(socket, op.frames.map(encodeFrame), "raw WebSocket frames");
      return {};
    }
    case "texts":
      await sendTexts(target, op);
      return {};
    case "http":
      return sendRequest(target, op.request);
    case "tick":
    case "broadcast":
      throw new Error(`${op.kind} is the runner's to do`);
  }
}
