/**
 * Half-open peers: the TCP connection is up (the kernel still ACKs) but the application on the
 * other end has stopped reading and answering. Only the heartbeat can find them. Each peer here
 * is a raw `net` socket the test paused, so nothing it is sent is read and nothing is answered.
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import type { InspectionEvent } from "xstate";
import type { Broker, ClientHandle, DisconnectInfo } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

/** Short enough to keep the tests quick, long enough for a lively peer to answer in time. */
const HEARTBEAT = { heartbeatInterval: 30, heartbeatTimeout: 150 };
/** One heartbeat round: a ping after the interval, then the timeout for its pong. */
const ROUND_MS = HEARTBEAT.heartbeatInterval + HEARTBEAT.heartbeatTimeout;

let channelSequence = 0;
const uniqueChannel = () => `half-open-${process.pid}-${++channelSequence}`;

/** Opens a TCP connection to the broker on 127.0.0.1. */
async function openSocket(port: number): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  // A reset by the server surfaces as `close`, which the tests await.
  socket.on("error", () => {});
  return socket;
}

/**
 * Sends `request` and reads up to the end of the response head, then pauses the socket: from
 * here on nothing is read, so pings and frames pile up in the kernel and nothing is answered.
 */
async function exchangeHeadThenGoSilent(socket: Socket, request: string): Promise<string> {
  const head = await new Promise<string>((resolve, reject) => {
    let received = "";
    const onData = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      socket.pause();
      resolve(received.slice(0, end));
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error(`Closed before a response head: ${received}`)));
    socket.write(request);
  });
  return head;
}

/** A WebSocket opening handshake (RFC 6455 §4.1), written by hand. */
const upgradeRequest = () =>
  "GET /ws HTTP/1.1\r\n" +
  "Host: 127.0.0.1\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n` +
  "Sec-WebSocket-Version: 13\r\n\r\n";

/** Resolves when the server has hung up: the socket is read again so its FIN or RST is seen. */
function hungUp(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once("close", () => resolve());
    socket.resume();
  });
}

/** The next `connect` and the next `disconnect` of `broker`. */
function lifecycle(broker: Broker) {
  return {
    connected: nextEvent<[ClientHandle]>(broker, "connect"),
    disconnected: nextEvent<[ClientHandle, DisconnectInfo]>(broker, "disconnect"),
  };
}

/** `promise`, or a failure naming `what` once `limitMs` have passed without it. */
async function within<T>(promise: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Still waiting for ${what} after ${limitMs} ms`)),
      limitMs,
    );
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

const actorIds = (broker: Broker) => broker.inspect().connections.map(({ id }) => id);

describe("half-open peers", () => {
  it("drops a WebSocket peer that completed the upgrade by hand and then went silent, with 1006", async () => {
    const { broker, port } = await startBroker(HEARTBEAT);
    const { connected, disconnected } = lifecycle(broker);
    const socket = await openSocket(port);
    const head = await exchangeHeadThenGoSilent(socket, upgradeRequest());
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    const [client] = await connected;
    expect(client.transport).toBe("websocket");
    expect(actorIds(broker)).toEqual([client.id]);

    const [gone, info] = await disconnected;
    expect(gone.id).toBe(client.id);
    expect(info).toEqual({ code: 1006, reason: "heartbeat timeout" });
    expect(actorIds(broker)).toEqual([]);
    expect(broker.clients.size).toBe(0);
    await hungUp(socket);
  });

  it("keeps a WebSocket client that answers pings while dropping a silent one", async () => {
    const { broker, port, url } = await startBroker(HEARTBEAT);
    const lively = await connectClient(url);
    const { disconnected } = lifecycle(broker);
    const silent = await openSocket(port);
    await exchangeHeadThenGoSilent(silent, upgradeRequest());
    const [, info] = await disconnected;
    expect(info.code).toBe(1006);
    expect(broker.clients.size).toBe(1);
    broker.broadcast("still here");
    expect(await lively.next()).toBe("still here");
  });

  it('drops a TCP peer that stops answering {"type":"ping"} lines, with 1006', async () => {
    const { broker } = await startBroker({ ...HEARTBEAT, tcp: { port: 0 } });
    const tcpPort = (await broker.listen()).tcp?.port ?? 0;
    const { connected, disconnected } = lifecycle(broker);
    const socket = await openSocket(tcpPort);
    // Never read: the ping lines stay in the kernel and no pong line is ever written.
    socket.pause();
    const [client] = await connected;
    expect(client.transport).toBe("tcp");
    expect(actorIds(broker)).toEqual([client.id]);

    const [gone, info] = await disconnected;
    expect(gone.id).toBe(client.id);
    expect(info).toEqual({ code: 1006, reason: "heartbeat timeout" });
    expect(actorIds(broker)).toEqual([]);
    await hungUp(socket);
  });

  it("drops a silent WebSocket peer that is lagging under lagPolicy drop, with 1006", async () => {
    // A peer that stopped reading while traffic flows soon holds maxBufferedBytes and lags.
    // Under policy `drop` nothing else ever ends it: it never drains, so only the heartbeat
    // can tell a dead peer from a slow one, and it must keep running while the peer lags.
    let lagging = false;
    const { broker, port } = await startBroker({
      ...HEARTBEAT,
      lagPolicy: "drop",
      inspect: (event: InspectionEvent) => {
        if (event.type === "@xstate.event" && event.event.type === "socket.lagging") lagging = true;
      },
    });
    const { connected, disconnected } = lifecycle(broker);
    const socket = await openSocket(port);
    await exchangeHeadThenGoSilent(socket, upgradeRequest());
    const [client] = await connected;
    try {
      const frame = "x".repeat(256 * 1024);
      while (!lagging) {
        broker.broadcast(frame);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(broker.inspect().connections[0]?.state).toBe("open.lagging");

      // Twenty heartbeat rounds: a bound for the failure message, not a timing assertion.
      const bound = 20 * ROUND_MS;
      const [gone, info] = await within(disconnected, bound, "the lagging peer's disconnect");
      expect(gone.id).toBe(client.id);
      expect(info).toEqual({ code: 1006, reason: "heartbeat timeout" });
    } finally {
      // Otherwise the broker's close() waits closeTimeout for this peer's close handshake.
      socket.destroy();
    }
  });

  describe("SSE streams, whose heartbeat is the keepalive comment", () => {
    const sseRequest = (channel: string) =>
      `GET /events/${channel} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`;

    /**
     * Counts the `socket.pong` events each connection actor receives. For a stream a "pong" is a
     * keepalive comment accepted by the kernel, so this shows the heartbeat going round.
     */
    function pongCounter() {
      const pongs = new Map<string, number>();
      const waiters: Array<() => void> = [];
      const observer = (event: InspectionEvent) => {
        if (event.type !== "@xstate.event" || event.event.type !== "socket.pong") return;
        // A connection actor's id is its client id.
        const id = String((event.actorRef as { readonly id?: unknown }).id);
        pongs.set(id, (pongs.get(id) ?? 0) + 1);
        for (const wake of waiters.splice(0)) wake();
      };
      const reach = (id: string, count: number) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if ((pongs.get(id) ?? 0) >= count) resolve();
            else waiters.push(check);
          };
          check();
        });
      return { observer, reach };
    }

    it("goes undetected while the stream is quiet: keepalives still fit in the kernel buffers", async () => {
      // This pins a limit, not a wish: SSE has no pong, so a keepalive counts as answered once
      // the kernel takes it. A peer that stops reading a quiet stream leaves megabytes of
      // socket buffer for 15-byte comments; it is found only once traffic fills that buffer
      // (next test), or when TCP itself gives up on a vanished host (tcp_retries2, ~15 min).
      const pongs = pongCounter();
      const { broker, port } = await startBroker({
        ...HEARTBEAT,
        sse: { keepalive: 10 },
        inspect: pongs.observer,
      });
      const { connected } = lifecycle(broker);
      const socket = await openSocket(port);
      const head = await exchangeHeadThenGoSilent(socket, sseRequest(uniqueChannel()));
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      const [client] = await connected;
      // Five heartbeat rounds, each "answered" by the kernel while the peer reads nothing.
      await pongs.reach(client.id, 5);
      expect(broker.inspect().connections).toMatchObject([{ id: client.id, transport: "sse" }]);
      expect(broker.inspect().connections[0]?.state).toMatch(/^open\./);
      socket.destroy();
    });

    it("drops a stream whose peer stopped reading once traffic fills its buffers, with 1006", async () => {
      const channel = uniqueChannel();
      const { broker, port } = await startBroker({
        ...HEARTBEAT,
        sse: { keepalive: 10 },
        // Above the traffic below, so the heartbeat is what finds the peer. With the default
        // (1 MiB) the slow-consumer policy gets there first: 1013 after lagTimeout (see
        // test/limits/slow-consumer.test.ts).
        maxBufferedBytes: 64 * 1024 * 1024,
      });
      const { connected, disconnected } = lifecycle(broker);
      const socket = await openSocket(port);
      await exchangeHeadThenGoSilent(socket, sseRequest(channel));
      const [client] = await connected;
      // 16 MiB: more than loopback's kernel buffers hold for a reader that reads nothing (Linux:
      // tcp_wmem max 4 MiB on the sending side, the 128 KiB default window on the other). The
      // next keepalive then waits behind it in user space, is never flushed, and times out.
      const frame = "x".repeat(1024 * 1024);
      for (let index = 0; index < 16; index += 1) broker.broadcast(frame, { room: channel });

      const [gone, info] = await disconnected;
      expect(gone.id).toBe(client.id);
      expect(info).toEqual({ code: 1006, reason: "heartbeat timeout" });
      expect(actorIds(broker)).toEqual([]);
      socket.destroy();
    });
  });
});
