import { describe, expect, it } from "vitest";
import { startBroker } from "../helpers/test-broker.js";
import {
  collectConnects,
  collectDisconnects,
  openStream,
  type RawStream,
  uniqueChannel,
} from "./sse-helpers.js";

describe("SSE listener lifecycle", () => {
  it("removes every listener that goes away over 1000 open/close cycles", async () => {
    const { broker, port } = await startBroker();
    const channel = uniqueChannel("cycles");
    const batch = 50;
    let disconnects = 0;
    for (let round = 0; round < 1000 / batch; round += 1) {
      const connected = collectConnects(broker, batch);
      const streams = await Promise.all(
        Array.from({ length: batch }, () => openStream(port, `/events/${channel}`)),
      );
      const clients = await connected;
      expect(clients.every((client) => client.transport === "sse")).toBe(true);
      expect(broker.rooms.get(channel)?.size).toBe(batch);
      const disconnected = collectDisconnects(broker, batch);
      for (const stream of streams) stream.destroy();
      const gone = await disconnected;
      disconnects += gone.length;
      expect(new Set(gone.map(({ client }) => client.id))).toEqual(
        new Set(clients.map((client) => client.id)),
      );
    }
    expect(disconnects).toBe(1000);
    expect(broker.clients.size).toBe(0);
    expect(broker.rooms.has(channel)).toBe(false);
    const snapshot = broker.inspect();
    expect(snapshot.connections).toEqual([]);
    expect(snapshot.supervisor.connections).toBe(0);
  }, 60_000);
});

describe("broker.close() with SSE listeners", () => {
  it("ends every stream and fires disconnect with 1001", async () => {
    const { broker, port } = await startBroker();
    const channels = [uniqueChannel("shutdown-a"), uniqueChannel("shutdown-b")];
    const connected = collectConnects(broker, 3);
    const streams: RawStream[] = await Promise.all([
      openStream(port, `/events/${channels[0]}`),
      openStream(port, `/events/${channels[0]}`),
      openStream(port, `/events/${channels[1]}`),
    ]);
    const clients = await connected;
    const disconnected = collectDisconnects(broker, 3);
    await broker.close();
    await Promise.all(streams.map((stream) => stream.ended));
    const gone = await disconnected;
    expect(gone.map(({ info }) => info.code)).toEqual([1001, 1001, 1001]);
    expect(new Set(gone.map(({ client }) => client.id))).toEqual(
      new Set(clients.map((client) => client.id)),
    );
    expect(broker.clients.size).toBe(0);
  });

  it("refuses new streams after close", async () => {
    const { broker, port } = await startBroker();
    await broker.close();
    await expect(openStream(port, `/events/${uniqueChannel("after-close")}`)).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it("resolves promptly when a keep-alive client (fetch, browsers) held a stream", async () => {
    const { broker, port } = await startBroker();
    const connected = collectConnects(broker, 1);
    const response = await fetch(`http://127.0.0.1:${port}/events/${uniqueChannel("keep")}`, {
      headers: { Accept: "text/event-stream" },
    });
    const reader = response.body?.getReader();
    if (!reader) throw new Error("No body");
    await connected;
    const drained = (async () => {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        // Read until the server ends the stream.
      }
    })();
    const started = Date.now();
    await broker.close();
    await drained;
    // The stream ended at once; the close must not wait for the client to drop its now idle
    // keep-alive socket (undici keeps it 4 s, browsers longer; the server's keepAliveTimeout 5 s).
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
