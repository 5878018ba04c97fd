/**
 * Test helpers for the TCP transport: an endpoint on 127.0.0.1 port 0 whose accepted transports
 * are bound to recording sinks (no broker), and a raw `net` client that reads lines.
 */
import { connect, type Socket } from "node:net";
import { afterEach } from "vitest";
import type { TransportEvent } from "../../src/transport.js";
import type { TcpTransport } from "../../src/transports/tcp.js";
import { createTcpEndpoint, type TcpEndpointOptions } from "../../src/transports/tcp-endpoint.js";
import { changed, until } from "../helpers/condition.js";

/** Resolves when `check` returns a value other than undefined, polling every few ms. */
export { until };

/** A transport bound to a sink that records every event. */
export interface Accepted {
  readonly transport: TcpTransport;
  readonly events: TransportEvent[];
  /** The first recorded event of this type, once it has arrived. */
  next<T extends TransportEvent["type"]>(type: T): Promise<Extract<TransportEvent, { type: T }>>;
  /** The frames of every `socket.message` so far. */
  messages(): string[];
}

function record(transport: TcpTransport): Accepted {
  const events: TransportEvent[] = [];
  transport.bind((event) => {
    events.push(event);
    changed();
  });
  return {
    transport,
    events,
    next: (type) =>
      until(
        () =>
          events.find((event) => event.type === type) as Extract<
            TransportEvent,
            { type: typeof type }
          >,
        type,
      ),
    messages: () =>
      events.flatMap((event) => (event.type === "socket.message" ? [event.frame] : [])),
  };
}

export interface TestEndpoint {
  readonly port: number;
  /** Every connection accepted so far, in order. */
  readonly accepted: Accepted[];
  /** Connections accepted but left unbound (`bind: false`). */
  readonly unbound: TcpTransport[];
  /** The nth accepted connection (0-based), once it is there. */
  connection(index: number): Promise<Accepted>;
  close(): Promise<void>;
}

const endpoints = new Set<TestEndpoint>();
const clients = new Set<Socket>();

afterEach(async () => {
  for (const socket of clients) socket.destroy();
  clients.clear();
  await Promise.all([...endpoints].map((endpoint) => endpoint.close()));
  endpoints.clear();
});

/** Starts an endpoint; `bind: false` leaves accepted transports unbound (as a refusal would). */
export async function startEndpoint(
  options: Partial<Omit<TcpEndpointOptions, "accept">> & { bind?: boolean } = {},
): Promise<TestEndpoint> {
  const accepted: Accepted[] = [];
  const unbound: TcpTransport[] = [];
  const { bind = true, ...rest } = options;
  const endpoint = createTcpEndpoint({
    port: 0,
    maxPayload: 1024,
    closeGrace: 200,
    ...rest,
    accept: (transport) => {
      if (bind) accepted.push(record(transport));
      else unbound.push(transport);
      changed();
    },
  });
  const { port } = await endpoint.listen();
  const test: TestEndpoint = {
    port,
    accepted,
    unbound,
    connection: (index) => until(() => accepted[index], `connection #${index}`),
    close: () => endpoint.close(),
  };
  endpoints.add(test);
  return test;
}

/** A raw TCP client that splits what it receives into lines. */
export interface RawClient {
  readonly socket: Socket;
  /** Every complete line received so far. */
  readonly lines: string[];
  /** The nth line received (0-based), once it is there. */
  line(index: number): Promise<string>;
  /** Writes and resolves once the data has been handed to the kernel. */
  write(data: string | Buffer): Promise<void>;
  /** Resolves when the server's FIN has arrived. */
  readonly ended: Promise<void>;
  /** Resolves when the socket is fully closed. */
  readonly closed: Promise<void>;
}

/**
 * Connects to the endpoint. `allowHalfOpen: true` makes a peer that does not answer the server's
 * FIN with its own (by default it does, as Node and most clients do).
 */
export async function connectClient(port: number, allowHalfOpen = false): Promise<RawClient> {
  const socket = connect({ port, host: "127.0.0.1", allowHalfOpen });
  clients.add(socket);
  // A reset by the server (a forced close) is expected in some tests; never crash on it.
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const lines: string[] = [];
  let partial = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    changed();
  });
  return {
    socket,
    lines,
    line: (index) => until(() => lines[index], `line #${index}`),
    write: (data) =>
      new Promise<void>((resolve, reject) =>
        socket.write(data, (error) => (error ? reject(error) : resolve())),
      ),
    ended: new Promise<void>((resolve) => socket.once("end", resolve)),
    closed: new Promise<void>((resolve) => socket.once("close", () => resolve())),
  };
}
