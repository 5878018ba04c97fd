/**
 * How the load process talks to each kind of server: a plain WebSocket (raw
 * `ws` and switchboard), a Socket.IO client over its WebSocket transport, or an
 * EventSource stream over HTTP (SSE). Each dialect opens receiving clients,
 * joins rooms, publishes benchmark frames, and runs connect/disconnect cycles.
 */
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import type { Dialect, Endpoint } from "./ipc.js";
import { type Decoded, decodePayload, decodePayloadText, PAYLOAD_BYTES } from "./payload.js";

/** Called with every benchmark frame a client receives (`frame` is reused: copy what you keep). */
export type OnFrame = (frame: Decoded) => void;
/** Called once if a client is lost (closed by the server, or an error). */
export type OnLost = (reason: string) => void;

/** One receiving client. */
export interface LoadClient {
  /** Joins room `room`; resolves once the server has confirmed it. */
  join(room: string): Promise<void>;
  /** Sends one benchmark frame as this client (SSE clients cannot: their publisher is HTTP). */
  publish(payload: string): void;
}

/** Sends a group's broadcasts. */
export interface Publisher {
  publish(payload: string): void;
}

export interface DialectClient {
  open(endpoint: Endpoint, onFrame: OnFrame, onLost: OnLost): Promise<LoadClient>;
  /** The publisher of a group whose first client is `first`. */
  publisher(endpoint: Endpoint, first: LoadClient, onLost: OnLost): Publisher;
  /** Resolves once the server counts `clients` receivers (SSE admits streams asynchronously). */
  ready(endpoint: Endpoint, clients: number, timeoutMs: number): Promise<void>;
  /** One connect + disconnect; resolves once the client side has let go. */
  cycle(endpoint: Endpoint): Promise<void>;
}

const JOIN = "#join|";
const JOINED = "#joined";

// --- plain WebSocket ------------------------------------------------------

function openWebSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // The load process shares the two cores with the server: skip the work
    // that only protects against a hostile server (the frames are our own ASCII).
    const socket = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    socket.once("open", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

class WsClient implements LoadClient {
  readonly #socket: WebSocket;
  #joined: (() => void) | undefined;

  constructor(socket: WebSocket, onFrame: OnFrame, onLost: OnLost) {
    this.#socket = socket;
    const decoded: Decoded = { seq: 0, stampMs: 0 };
    socket.on("message", (data, isBinary) => {
      if (isBinary || !Buffer.isBuffer(data)) return;
      if (decodePayload(data, decoded)) onFrame(decoded);
      else if (data.length === JOINED.length && data.toString() === JOINED) this.#joined?.();
    });
    socket.on("error", (error) => onLost(`client error: ${error.message}`));
    socket.on("close", (code) => onLost(`a client was closed by the server (code ${code})`));
  }

  join(room: string): Promise<void> {
    return new Promise((resolve) => {
      this.#joined = () => {
        this.#joined = undefined;
        resolve();
      };
      this.#socket.send(`${JOIN}${room}`);
    });
  }

  publish(payload: string): void {
    this.#socket.send(payload);
  }
}

const ws: DialectClient = {
  async open(endpoint, onFrame, onLost) {
    return new WsClient(await openWebSocket(endpoint.url), onFrame, onLost);
  },
  publisher: (_endpoint, first) => first,
  ready: () => Promise.resolve(),
  async cycle(endpoint) {
    const socket = await openWebSocket(endpoint.url);
    await new Promise<void>((resolve, reject) => {
      socket.once("close", () => resolve());
      socket.once("error", reject);
      socket.close(1000);
    });
  },
};

// --- Socket.IO ------------------------------------------------------------

function openSocketIo(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // forceNew: one connection per client (by default sockets to one URL share a manager).
    const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
    socket.once("connect", () => {
      socket.off("connect_error", reject);
      resolve(socket);
    });
    socket.once("connect_error", reject);
  });
}

class SocketIoClient implements LoadClient {
  readonly #socket: Socket;

  constructor(socket: Socket, onFrame: OnFrame, onLost: OnLost) {
    this.#socket = socket;
    const decoded: Decoded = { seq: 0, stampMs: 0 };
    socket.on("m", (data: unknown) => {
      if (typeof data === "string" && decodePayloadText(data, decoded)) onFrame(decoded);
    });
    socket.on("disconnect", (reason) => onLost(`a Socket.IO client disconnected (${reason})`));
  }

  async join(room: string): Promise<void> {
    await this.#socket.emitWithAck("join", room);
  }

  publish(payload: string): void {
    this.#socket.emit("m", payload);
  }
}

const socketIo: DialectClient = {
  async open(endpoint, onFrame, onLost) {
    return new SocketIoClient(await openSocketIo(endpoint.url), onFrame, onLost);
  },
  publisher: (_endpoint, first) => first,
  ready: () => Promise.resolve(),
  async cycle(endpoint) {
    const socket = await openSocketIo(endpoint.url);
    // Sends the DISCONNECT packet and closes the WebSocket; the server's side of
    // the close is awaited by the runner (it polls the server's connection count).
    socket.disconnect();
  },
};

// --- Server-Sent Events ---------------------------------------------------

const DATA = Buffer.from("data: ");
const EVENT_END = Buffer.from("\n\n");
/** One socket per stream: a stream never ends, so it must never wait for a pooled socket. */
const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

/**
 * Reads benchmark frames from an event stream. Only complete events (up to the
 * last blank line of what has arrived) are parsed; the rest waits for more.
 */
function eventStreamParser(onFrame: OnFrame): (chunk: Buffer) => void {
  const decoded: Decoded = { seq: 0, stampMs: 0 };
  let pending: Buffer | undefined;
  return (chunk) => {
    const buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    const end = buffer.lastIndexOf(EVENT_END);
    if (end === -1) {
      pending = buffer;
      return;
    }
    for (let at = buffer.indexOf(DATA); at !== -1 && at < end; ) {
      const start = at + DATA.length;
      if (decodePayload(buffer.subarray(start, start + PAYLOAD_BYTES), decoded)) onFrame(decoded);
      at = buffer.indexOf(DATA, start);
    }
    const rest = end + EVENT_END.length;
    pending = rest < buffer.length ? buffer.subarray(rest) : undefined;
  };
}

class SseClient implements LoadClient {
  join(): Promise<void> {
    return Promise.reject(new Error("SSE streams join their channel by URL"));
  }

  publish(): void {
    throw new Error("SSE streams cannot publish; their publisher is an HTTP client");
  }
}

/** POSTs `body` to `url` and resolves with the answer's status and text. */
function post(
  url: string,
  body: string,
  agent: http.Agent,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

function publishUrl(endpoint: Endpoint): string {
  if (endpoint.publishUrl === undefined) throw new Error("SSE server gave no publish URL");
  return endpoint.publishUrl;
}

const sse: DialectClient = {
  open(endpoint, onFrame, onLost) {
    return new Promise((resolve, reject) => {
      const request = http.get(
        endpoint.url,
        { agent: streamAgent, headers: { Accept: "text/event-stream" } },
        (response) => {
          if (response.statusCode !== 200) {
            response.resume();
            reject(new Error(`SSE stream answered ${response.statusCode}`));
            return;
          }
          response.on("data", eventStreamParser(onFrame));
          response.on("end", () => onLost("an SSE stream was ended by the server"));
          response.on("error", (error) => onLost(`SSE stream error: ${error.message}`));
          resolve(new SseClient());
        },
      );
      request.setNoDelay(true);
      request.on("error", reject);
    });
  },
  publisher(endpoint, _first, onLost) {
    const url = publishUrl(endpoint);
    // Keep-alive sockets, as many as broadcasts in flight: one HTTP request per broadcast.
    const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
    return {
      publish(payload) {
        post(url, payload, agent).then(
          ({ status, text }) => {
            if (status !== 202) onLost(`publish answered ${status}: ${text}`);
          },
          (error: unknown) => onLost(`publish failed: ${String(error)}`),
        );
      },
    };
  },
  async ready(endpoint, clients, timeoutMs) {
    // The server counts the streams a publish reached: probe until it counts them all.
    // The probe is no benchmark frame, so receivers ignore it.
    const url = publishUrl(endpoint);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const { status, text } = await post(url, "probe", agent);
        const delivered = status === 202 ? (JSON.parse(text) as { delivered?: unknown }) : {};
        if (delivered.delivered === clients) return;
        if (Date.now() > deadline) {
          throw new Error(`SSE: ${clients} streams open, a publish reached ${text} (${status})`);
        }
        await sleep(50);
      }
    } finally {
      agent.destroy();
    }
  },
  cycle() {
    return Promise.reject(new Error("the SSE dialect has no churn scenario"));
  },
};

export const DIALECTS: Readonly<Record<Dialect, DialectClient>> = {
  ws,
  "socket.io": socketIo,
  sse,
};
