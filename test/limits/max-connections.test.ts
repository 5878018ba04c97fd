import { describe, expect, it } from "vitest";
import { connectLines } from "../helpers/line-client.js";
import { startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";
import { probe, upgradeStatus } from "../security/http-probe.js";

async function startFull() {
  const started = await startBroker({ maxConnections: 1, tcp: { port: 0 } });
  const address = await started.broker.listen();
  const tcpPort = address.tcp?.port;
  if (tcpPort === undefined) throw new Error("no TCP port");
  return { ...started, tcpPort };
}

describe("maxConnections", () => {
  it("refuses a WebSocket upgrade over the limit with 503 and creates no actor", async () => {
    const { broker, url } = await startFull();
    await connectClient(url);
    expect(await upgradeStatus(url)).toBe(503);
    expect(broker.clients.size).toBe(1);
    expect(broker.inspect().connections).toHaveLength(1);
  });

  it("counts every transport together: a TCP client fills the SSE and WebSocket slots", async () => {
    const { broker, url, port, tcpPort } = await startFull();
    await connectLines(tcpPort);
    await expect.poll(() => broker.clients.size).toBe(1);
    const stream = await probe(port, "/events/news", { headers: { Accept: "text/event-stream" } });
    expect(stream.status).toBe(503);
    expect(JSON.parse(stream.body)).toMatchObject({ error: { code: "too_many_connections" } });
    expect(await upgradeStatus(url)).toBe(503);
    expect(broker.clients.size).toBe(1);
  });

  it("sends an over-limit TCP client a 1013 close line, then ends it", async () => {
    const { broker, url, tcpPort } = await startFull();
    await connectClient(url);
    const client = await connectLines(tcpPort);
    expect(await client.next()).toEqual({
      type: "close",
      data: { code: 1013, reason: "too many connections" },
    });
    await client.ended;
    expect(broker.clients.size).toBe(1);
  });

  it("admits again once a slot is free", async () => {
    const { broker, url } = await startFull();
    const first = await connectClient(url);
    first.close();
    await expect.poll(() => broker.clients.size).toBe(0);
    expect(await upgradeStatus(url)).toBe(101);
  });

  it("has no limit by default", async () => {
    const { broker, url } = await startBroker();
    await Promise.all(Array.from({ length: 20 }, () => connectClient(url)));
    await expect.poll(() => broker.clients.size).toBe(20);
  });
});
