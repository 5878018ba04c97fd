import http from "node:http";
import net, { type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  type Broker,
  type BrokerOptions,
  type ClientHandle,
  createBroker,
  ServerEvent,
  type SlowInfo,
} from "../../src/index.js";
import { changed, until } from "../helpers/condition.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";

// A client that never reads while 10,000 × 1 KB broadcasts go out (issue #8, item 1). The limit
// is set low (64 KiB) so the kernel's own socket buffers, which absorb the first few hundred KB
// on loopback, do not hide the lag; the valve's logic is the same at the 1 MiB default.
const LIMIT = 64 * 1024;
const BROADCASTS = 10_000;
const BATCH = 50;
const PAYLOAD = "x".repeat(1_000);
/**
 * The valve checks after each write (after a tick's batch, for a corked WebSocket), so a lagging
 * client holds at most the limit plus one tick's frames (with their framing).
 */
const BOUND = LIMIT + BATCH * (PAYLOAD.length + 16);

interface Reader {
  readonly indices: number[];
  readonly errors: string[];
}

/** A well-behaved WebSocket client recording the index of every broadcast it receives. */
async function reader(url: string, readers: Reader[]): Promise<WebSocket> {
  const socket = new WebSocket(url);
  const record: Reader = { indices: [], errors: [] };
  readers.push(record);
  socket.on("message", (data) => {
    const text = data.toString();
    if (text.startsWith("#error|")) record.errors.push(text);
    else record.indices.push(Number(text.slice(0, text.indexOf(":"))));
    changed();
  });
  await new Promise((resolve) => socket.once("open", resolve));
  return socket;
}

function rawSocketOf(socket: WebSocket): Socket {
  return (socket as unknown as { _socket: Socket })._socket;
}

/**
 * Broadcasts BROADCASTS frames in batches, waiting for every reader to have each batch before
 * the next (readers keep up; only the paused client falls behind), and samples the slow
 * client's unsent bytes after every batch.
 */
async function broadcastAll(
  broker: Broker,
  readers: Reader[],
  slow: () => ClientHandle | undefined,
) {
  let peak = 0;
  for (let sent = 0; sent < BROADCASTS; ) {
    for (const end = sent + BATCH; sent < end; sent += 1) broker.broadcast(`${sent}:${PAYLOAD}`);
    await until(
      () => (readers.every((r) => r.indices.length >= sent) ? true : undefined),
      `readers to receive ${sent} broadcasts`,
      20_000,
    );
    peak = Math.max(peak, slow()?.bufferedAmount ?? 0);
  }
  return peak;
}

function expectInOrder(indices: readonly number[]): void {
  for (let i = 1; i < indices.length; i += 1)
    expect(indices[i]).toBeGreaterThan(indices[i - 1] ?? -1);
}

async function brokerWithSlowClient(options: BrokerOptions) {
  const started = await startBroker({ maxBufferedBytes: LIMIT, closeTimeout: 200, ...options });
  const slowEvents: { client: ClientHandle; info: SlowInfo }[] = [];
  started.broker.on(ServerEvent.SLOW, (client, info) => {
    slowEvents.push({ client, info });
    changed();
  });
  return { ...started, slowEvents };
}

describe("slow consumers (maxBufferedBytes, lagPolicy)", () => {
  it("policy close: a WebSocket client that never reads lags, is closed with 1013, and costs at most the limit; the others get all 10,000", async () => {
    const { broker, url, slowEvents } = await brokerWithSlowClient({ lagTimeout: 300 });
    const readers: Reader[] = [];
    const sockets = [await reader(url, readers), await reader(url, readers)];
    const connected = nextEvent<[ClientHandle]>(broker, ServerEvent.CONNECT);
    const slowSocket = new WebSocket(url);
    await new Promise((resolve) => slowSocket.once("open", resolve));
    const [slowClient] = await connected;
    rawSocketOf(slowSocket).pause();
    const disconnected = new Promise<number>((resolve) =>
      broker.on(ServerEvent.DISCONNECT, (client, info) => {
        if (client.id === slowClient.id) resolve(info.code);
      }),
    );

    const peak = await broadcastAll(broker, readers, () => broker.clients.get(slowClient.id));

    expect(await disconnected).toBe(1013);
    expect(slowEvents.map((event) => event.client.id)).toEqual([slowClient.id]);
    expect(slowEvents[0]?.info.policy).toBe("close");
    expect(slowEvents[0]?.info.bufferedAmount).toBeGreaterThan(LIMIT);
    expect(peak).toBeLessThanOrEqual(BOUND);
    for (const record of readers) {
      expect(record.indices).toHaveLength(BROADCASTS);
      expectInOrder(record.indices);
    }
    expect(broker.clients.size).toBe(2);
    for (const socket of [...sockets, slowSocket]) socket.terminate();
  }, 60_000);

  it("policy drop: the lagging client stays connected, its frames are skipped and counted, and it is told how many once it drains", async () => {
    const { broker, url, slowEvents } = await brokerWithSlowClient({ lagPolicy: "drop" });
    const readers: Reader[] = [];
    const sockets = [await reader(url, readers)];
    const connected = nextEvent<[ClientHandle]>(broker, ServerEvent.CONNECT);
    const slowReader: Reader[] = [];
    const slowSocket = await reader(url, slowReader);
    const [slowClient] = await connected;
    rawSocketOf(slowSocket).pause();

    const peak = await broadcastAll(broker, readers, () => broker.clients.get(slowClient.id));
    expect(slowEvents[0]?.info.policy).toBe("drop");
    expect(peak).toBeLessThanOrEqual(BOUND);
    expect(broker.inspect().connections.find((c) => c.id === slowClient.id)?.state).toContain(
      "lagging",
    );

    rawSocketOf(slowSocket).resume();
    const notice = await until(() => slowReader[0]?.errors[0], "the lagged error frame", 20_000);
    // The separator codec's error frame: `#error|<code>|<message>`.
    const [, code, message] = notice.split("|");
    expect(code).toBe("lagged");
    const skipped = Number(/^(\d+) frames skipped/.exec(message ?? "")?.[1]);
    const received = slowReader[0]?.indices ?? [];
    // Every broadcast is accounted for: received, or skipped and reported.
    expect(received.length + skipped).toBe(BROADCASTS);
    expect(skipped).toBeGreaterThan(0);
    expectInOrder(received);
    expect(broker.clients.has(slowClient.id)).toBe(true);
    const after = await until(
      () => broker.inspect().connections.find((c) => c.id === slowClient.id)?.state,
      "the slow client's state",
    );
    expect(after).not.toContain("lagging");
    for (const record of readers) expect(record.indices).toHaveLength(BROADCASTS);
    for (const socket of [...sockets, slowSocket]) socket.terminate();
  }, 60_000);

  it("policy close: an SSE stream that is never read ends with 1013 while the WebSocket readers get everything", async () => {
    const { broker, url, port, slowEvents } = await brokerWithSlowClient({ lagTimeout: 300 });
    const readers: Reader[] = [];
    const sockets = [await reader(url, readers)];
    const connected = nextEvent<[ClientHandle]>(broker, ServerEvent.CONNECT);
    const request = http.get({
      port,
      host: "127.0.0.1",
      path: "/events/slow-sse",
      headers: { accept: "text/event-stream" },
    });
    const response = await new Promise<http.IncomingMessage>((resolve) =>
      request.once("response", resolve),
    );
    response.pause();
    const [slowClient] = await connected;
    expect(slowClient.transport).toBe("sse");
    const disconnected = new Promise<number>((resolve) =>
      broker.on(ServerEvent.DISCONNECT, (client, info) => {
        if (client.id === slowClient.id) resolve(info.code);
      }),
    );

    const peak = await broadcastAll(broker, readers, () => broker.clients.get(slowClient.id));
    expect(await disconnected).toBe(1013);
    // Reading again, the client reaches the end the server gave its stream.
    const ended = new Promise((resolve) => response.socket.once("close", resolve));
    response.resume();
    await ended;
    expect(slowEvents[0]?.client.transport).toBe("sse");
    expect(peak).toBeLessThanOrEqual(BOUND);
    expect(readers[0]?.indices).toHaveLength(BROADCASTS);
    for (const socket of sockets) socket.terminate();
  }, 60_000);

  it("policy close: a TCP client that never reads is closed with 1013", async () => {
    const { broker, url, slowEvents } = await brokerWithSlowClient({
      lagTimeout: 300,
      tcp: { port: 0 },
    });
    const readers: Reader[] = [];
    const sockets = [await reader(url, readers)];
    const connected = nextEvent<[ClientHandle]>(broker, ServerEvent.CONNECT);
    const tcpPort = (await broker.listen()).tcp?.port;
    if (tcpPort === undefined) throw new Error("no TCP port");
    const slowSocket = net.connect(tcpPort, "127.0.0.1");
    const [slowClient] = await connected;
    slowSocket.pause();
    const disconnected = new Promise<number>((resolve) =>
      broker.on(ServerEvent.DISCONNECT, (client, info) => {
        if (client.id === slowClient.id) resolve(info.code);
      }),
    );
    const peak = await broadcastAll(broker, readers, () => broker.clients.get(slowClient.id));
    expect(await disconnected).toBe(1013);
    expect(slowEvents[0]?.client.transport).toBe("tcp");
    expect(peak).toBeLessThanOrEqual(BOUND);
    slowSocket.destroy();
    for (const socket of sockets) socket.terminate();
  }, 60_000);
});

describe("slow-consumer and auth options", () => {
  it("refuses values that would make every comparison false (NaN) or make no sense", () => {
    const bad: BrokerOptions[] = [
      { maxBufferedBytes: Number.NaN },
      { maxBufferedBytes: 0 },
      { lagTimeout: -1 },
      { lagPolicy: "dropp" as "drop" },
      { authTimeout: 0 },
      { authGrace: Number.POSITIVE_INFINITY },
      { headersTimeout: -5 },
    ];
    for (const options of bad)
      expect(() => createBroker(options), JSON.stringify(options)).toThrow(RangeError);
    expect(() =>
      createBroker({ maxBufferedBytes: 1, lagTimeout: 0, headersTimeout: 0 }),
    ).not.toThrow();
  });
});
