/**
 * Review: every HTTP route parses `request.url` with `new URL(request.url, "http://localhost")`,
 * which throws on a request-target Node's parser accepts, such as the absolute form
 * `http://[`. The throw escapes the server's `upgrade` / `request` listener: an uncaught
 * exception, which under Node's default policy ends the broker process. One unauthenticated
 * request line takes every client down. (Trapped here, so the test fails instead of dying.)
 */
import { createServer } from "node:http";
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { until } from "../cluster/redis-helpers.js";
import { trapCrashes } from "../helpers/crash-trap.js";
import { startBroker } from "../helpers/test-broker.js";

const crashes = trapCrashes();

/** Sends one raw request; resolves with whatever the server answered before closing (or ""). */
function rawRequest(port: number, head: string): { answer: () => string; hangUp: () => void } {
  const socket = connect({ port, host: "127.0.0.1" });
  let answer = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    answer += chunk;
  });
  socket.on("error", () => {});
  socket.on("connect", () => socket.write(head));
  return { answer: () => answer, hangUp: () => socket.destroy() };
}

const UPGRADE_HEADERS =
  "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/** Waits for an answer (or a crash) to `request`: it must be a 4xx, and nothing crashed. */
async function expectRefusedWithoutCrash(request: ReturnType<typeof rawRequest>): Promise<void> {
  await until(
    () => (crashes.length > 0 || request.answer().length > 0 ? true : undefined),
    "an answer or a crash",
  );
  expect(crashes).toEqual([]);
  expect(request.answer()).toMatch(/^HTTP\/1\.1 4\d\d/);
}

describe("a request-target that WHATWG URL cannot parse", () => {
  it("an upgrade request for `http://[` is refused without an uncaught exception", async () => {
    // A server of the test's own, so its sockets can be destroyed: the upgrade socket the throw
    // leaves behind is paused and never notices the client hanging up, holding close() open.
    const server = createServer();
    const sockets = new Set<Socket>();
    server.on("connection", (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    await startBroker({ server });
    const { port } = server.address() as { port: number };
    const request = rawRequest(port, `GET http://[ HTTP/1.1\r\n${UPGRADE_HEADERS}`);
    try {
      await expectRefusedWithoutCrash(request);
    } finally {
      // Unanswered, the socket would hold broker.close() open.
      request.hangUp();
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it("a plain GET for `http://[` is answered without an uncaught exception", async () => {
    const { port } = await startBroker();
    const request = rawRequest(port, "GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n");
    try {
      await expectRefusedWithoutCrash(request);
    } finally {
      // Unanswered, the socket would hold broker.close() open.
      request.hangUp();
    }
  });
});
