/**
 * Review: the outbound valve waits for `drain` to leave the lagging state, but a net socket (and
 * an HTTP response) emits `drain` only after a write returned false, i.e. once its buffer reached
 * highWaterMark (16 KiB). With `maxBufferedBytes` below that, a client can lag with fewer bytes
 * queued than the mark: no write ever returned false, so `drain` never comes, and the client
 * stays lagging for good once it has read everything (every later frame skipped, no `lagged`
 * frame, and under heartbeat it is dropped as "gone").
 */
import { describe, expect, it } from "vitest";
import type { ClientHandle } from "../../src/index.js";
import { until } from "../cluster/redis-helpers.js";
import { connectLines } from "../helpers/line-client.js";
import { startBroker } from "../helpers/test-broker.js";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("slow consumer with maxBufferedBytes below the socket's highWaterMark", () => {
  it("a TCP client that lagged and then read everything gets the lagged frame and later frames", async () => {
    const { broker } = await startBroker({
      tcp: { port: 0 },
      maxBufferedBytes: 4_096,
      lagPolicy: "drop",
      heartbeatInterval: 0,
    });
    let slow = false;
    broker.on("slow", () => {
      slow = true;
    });
    const connected = new Promise<ClientHandle>((resolve) => broker.on("connect", resolve));
    const address = await broker.listen();
    const lines = await connectLines(address.tcp?.port ?? 0);
    const client = await connected;

    // Stop reading until the kernel buffers are full and the broker reports the client lagging.
    lines.socket.pause();
    const pad = "x".repeat(2_000);
    for (let batch = 0; !slow && batch < 5_000; batch += 1) {
      for (let n = 0; n < 50 && !slow; n += 1) broker.broadcast({ n, pad });
      await nextTurn();
    }
    expect(slow).toBe(true);
    // Skipped while lagging: the client must be told of these once it drains.
    for (let n = 0; n < 5; n += 1) broker.broadcast({ skipped: n, pad });

    // Read again: the broker's queue for this client empties.
    lines.socket.resume();
    await until(() => (client.bufferedAmount === 0 ? true : undefined), "the backlog to drain");

    broker.broadcast({ marker: true });
    // Everything still unread comes first; then the lagged notice and the marker must arrive.
    let sawLagged = false;
    for (;;) {
      const line = await lines.next<{ type?: string; data?: unknown; marker?: boolean }>(3_000);
      if (JSON.stringify(line).includes("skipped while this connection was lagging"))
        sawLagged = true;
      if (line.marker === true || (line.data as { marker?: boolean } | undefined)?.marker) break;
    }
    expect(sawLagged).toBe(true);
  });
});
