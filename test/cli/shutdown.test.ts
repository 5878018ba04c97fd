/**
 * `switchboard listen` under a process manager: SIGTERM drains the broker (no new connections,
 * queued frames delivered, WebSocket and TCP clients closed with 1001, streams ended) and exits
 * 0; `--shutdown-timeout` bounds the drain; a second signal quits at once. The real bin runs as
 * a child process, with clients on all three transports.
 */
import { randomBytes } from "node:crypto";
import { get } from "node:http";
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { connectLines, type LineClient } from "../helpers/line-client.js";
import { connectClient, type TestClient } from "../helpers/test-client.js";
import {
  openRawStream,
  post,
  type RunningListen,
  type Spawned,
  startListen,
} from "./cli-process.js";

/** `listen --tcp 0` prints this line after its listening line. */
const TCP_LINE = /^tcp on 127\.0\.0\.1:(\d+)$/;

/** The stderr line the first signal prints, with the number of clients it closes. */
const CLOSING =
  /^switchboard listen: (SIGTERM|SIGINT): closing (\d+) clients?, waiting up to (\d+) ms/;

async function startWithTcp(args: readonly string[] = []) {
  const running = await startListen(["--tcp", "0", ...args]);
  const match = await running.process.waitForLine(TCP_LINE);
  return { ...running, tcpPort: Number(match[1]) };
}

/** A WebSocket client of channel `news` (separator protocol), once the join is confirmed. */
async function wsMember(url: string): Promise<TestClient> {
  const client = await connectClient(url);
  client.send("#join|news");
  expect(await client.next()).toBe("#joined|news");
  return client;
}

/** A TCP client of channel `news` (JSON lines), once the join is confirmed. */
async function tcpMember(port: number): Promise<LineClient> {
  const client = await connectLines(port);
  client.send({ type: "join", data: "news" });
  expect(await client.next()).toEqual({ type: "joined", data: "news" });
  return client;
}

/**
 * A WebSocket peer that completes the upgrade and then reads nothing: it never answers the
 * server's close frame, so it holds the drain open until the broker's closeTimeout (5 s).
 */
async function stuckPeer(port: number): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    let head = "";
    socket.on("data", function onData(chunk: Buffer) {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      socket.pause();
      if (head.startsWith("HTTP/1.1 101 ")) resolve();
      else reject(new Error(`Upgrade refused: ${head}`));
    });
    socket.write(
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n` +
        "Sec-WebSocket-Version: 13\r\n\r\n",
    );
  });
  return socket;
}

/** The error code of a TCP connection attempt to `port` ("connected" if it was accepted). */
function tcpAttempt(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** The error code of an event-stream request ("<status>" if it was answered). */
function sseAttempt(base: string): Promise<string> {
  return new Promise((resolve) => {
    const request = get(`${base}/events/news`, { agent: false }, (response) => {
      resolve(String(response.statusCode));
      request.destroy();
    });
    request.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** The error code of a WebSocket connection attempt ("open" if it opened). */
async function wsAttempt(url: string): Promise<string> {
  try {
    const client = await connectClient(url);
    client.close();
    return "open";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** Every way in: the WebSocket endpoint, an event stream, the TCP endpoint. */
async function attemptsOn(running: RunningListen, tcpPort: number): Promise<string[]> {
  return Promise.all([wsAttempt(running.url), sseAttempt(running.base), tcpAttempt(tcpPort)]);
}

/** A long frame as its length and its last characters, so a mismatch prints legibly. */
const sizeAndEnd = (text: string) =>
  `${text.length} chars ending ${JSON.stringify(text.slice(-16))}`;

/** Resolves once `child` has printed its first-signal line; answers the clients it counted. */
async function closingLine(child: Spawned): Promise<number> {
  const match = await child.waitForLine(CLOSING, { stream: "stderr" });
  return Number(match[2]);
}

describe("switchboard listen shutdown", () => {
  it("on SIGTERM delivers the frame posted just before, closes WebSocket and TCP with 1001, ends streams, exits 0", async () => {
    const running = await startWithTcp();
    const ws = await wsMember(running.url);
    const tcp = await tcpMember(running.tcpPort);
    const stream = await openRawStream(`${running.base}/events/news`);
    await stream.waitFor(/^retry: \d+\n\n/);

    // Half a megabyte: still in the kernel's buffers or on its way when the signal comes.
    const payload = `${"x".repeat(512 * 1024)}:last-frame`;
    const answer = await post(`${running.base}/events/news/update`, payload);
    expect(answer).toEqual({ status: 202, body: '{"delivered":3}' });
    const exit = await running.process.stop("SIGTERM");

    expect(exit).toEqual({ code: 0, signal: null });
    expect(running.process.lines("stderr")).toEqual([
      "switchboard listen: SIGTERM: closing 3 clients, waiting up to 10000 ms (signal again to quit at once)",
    ]);
    // Each client got the frame first, then the close.
    expect((await ws.closed).code).toBe(1001);
    expect(ws.pending.map(sizeAndEnd)).toEqual([sizeAndEnd(`#update|${payload}`)]);
    const update = await tcp.next<{ type: string; data: string }>();
    expect([update.type, sizeAndEnd(update.data)]).toEqual(["update", sizeAndEnd(payload)]);
    expect(await tcp.next()).toEqual({
      type: "close",
      data: { code: 1001, reason: "server shutting down" },
    });
    await tcp.ended;
    await stream.ended;
    expect(sizeAndEnd(stream.text().slice(-(payload.length + 22)))).toEqual(
      sizeAndEnd(`event: update\ndata: ${payload}\n\n`),
    );
    // And nothing is listening any more.
    expect(await attemptsOn(running, running.tcpPort)).toEqual([
      "ECONNREFUSED",
      "ECONNREFUSED",
      "ECONNREFUSED",
    ]);
  });

  it("refuses new connections while it drains, and quits at once on a second signal", async () => {
    const running = await startWithTcp();
    const peer = await stuckPeer(running.port);
    let exited = false;
    void running.process.exited.then(() => {
      exited = true;
    });
    void running.process.stop("SIGTERM");
    expect(await closingLine(running.process)).toBe(1);

    // The stuck peer keeps the drain going (for closeTimeout, 5 s): every way in is shut.
    expect(await attemptsOn(running, running.tcpPort)).toEqual([
      "ECONNREFUSED",
      "ECONNREFUSED",
      "ECONNREFUSED",
    ]);
    expect(exited).toBe(false);
    // The second signal meets Node's default action: the process ends, killed by it.
    expect(await running.process.stop("SIGTERM")).toEqual({ code: null, signal: "SIGTERM" });
    peer.destroy();
  });

  it("exits 0 once --shutdown-timeout has passed, cutting off a client that holds the drain", async () => {
    const running = await startListen(["--shutdown-timeout", "200"]);
    const peer = await stuckPeer(running.port);
    const lively = await connectClient(running.url);
    const exit = await running.process.stop("SIGTERM");

    expect(exit).toEqual({ code: 0, signal: null });
    expect(running.process.lines("stderr")).toEqual([
      "switchboard listen: SIGTERM: closing 2 clients, waiting up to 200 ms (signal again to quit at once)",
      "switchboard listen: still draining after 200 ms: exiting, cutting off 1 client",
    ]);
    // The client that answered its close handshake got 1001; the stuck one is simply cut off.
    expect((await lively.closed).code).toBe(1001);
    await new Promise<void>((resolve) => {
      peer.once("close", () => resolve());
      peer.resume();
    });
  });
});
