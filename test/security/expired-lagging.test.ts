/**
 * Review: the connection's `expired` state handles neither `socket.lagging` nor
 * `socket.drained` (they are handled only under `open`), yet broadcasts keep reaching an expired
 * client (README) and its transport's valve keeps measuring. A client that stops reading during
 * its grace is therefore never `lagging`: no `slow` event, and `lagPolicy: "close"` never closes
 * it (it lives on, its frames silently skipped, until the grace ends). If it renews meanwhile it
 * returns to `open.alive` while the valve still skips its frames, with no lagTimeout running
 * and no `lagged` frame when it drains (the drained event arrives in a state that ignores it).
 */
import { describe, expect, it } from "vitest";
import { type ClientHandle, withExpiry } from "../../src/index.js";
import { startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const LIMIT = 64 * 1024;

describe("a slow consumer whose credentials have expired", () => {
  it("is reported slow and closed with 1013 under lagPolicy close, as an open one is", async () => {
    const { broker, url } = await startBroker({
      authenticate: () => withExpiry({}, Date.now() + 50),
      authGrace: 60_000,
      maxBufferedBytes: LIMIT,
      lagPolicy: "close",
      lagTimeout: 100,
      heartbeatInterval: 0,
      closeTimeout: 200,
    });
    let slow = 0;
    broker.on("slow", () => {
      slow += 1;
    });
    const connected = new Promise<ClientHandle>((resolve) => broker.on("connect", resolve));
    const disconnected = new Promise<{ code: number }>((resolve) =>
      broker.on("disconnect", (_client, info) => resolve(info)),
    );
    const ws = await connectClient(url, { headers: { authorization: "Bearer t" } });
    const client = await connected;
    // The expiry notice: the connection is in `expired` now.
    expect(await ws.next()).toMatch(/expired/i);

    try {
      // Stop reading and broadcast until the broker holds more than the limit for this client.
      ws.socket.pause();
      const pad = "x".repeat(2_000);
      for (let batch = 0; client.bufferedAmount <= LIMIT && batch < 5_000; batch += 1) {
        for (let n = 0; n < 50; n += 1) broker.broadcast(`${n}${pad}`);
        await nextTurn();
      }
      expect(client.bufferedAmount).toBeGreaterThan(LIMIT);
      expect(slow).toBe(1);

      // A paused client cannot see the close frame: the broker's disconnect says how it ended.
      const outcome = await Promise.race([
        disconnected,
        new Promise<"still open">((resolve) => setTimeout(() => resolve("still open"), 3_000)),
      ]);
      expect(outcome).toMatchObject({ code: 1013 });
    } finally {
      ws.socket.terminate();
    }
  });
});
