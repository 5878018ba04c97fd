import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { createTcpEndpoint } from "../../src/transports/tcp-endpoint.js";
import { connectClient, startEndpoint, until } from "./tcp-helpers.js";

/** Connects and destroys the socket at once, before the server can say anything. */
function connectAndDestroy(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.on("error", () => {});
    socket.once("connect", () => {
      socket.resetAndDestroy();
      resolve();
    });
  });
}

describe("createTcpEndpoint", () => {
  it("listens on a free port of 127.0.0.1 and hands each connection to accept", async () => {
    const endpoint = await startEndpoint();
    expect(endpoint.port).toBeGreaterThan(0);
    await connectClient(endpoint.port);
    await connectClient(endpoint.port);
    await endpoint.connection(1);
    expect(endpoint.accepted).toHaveLength(2);
  });

  it("survives clients that connect and immediately reset or hang up", async () => {
    const endpoint = await startEndpoint();
    for (let i = 0; i < 20; i++) {
      await connectAndDestroy(endpoint.port);
      connect({ port: endpoint.port, host: "127.0.0.1" })
        .on("error", () => {})
        .destroy();
    }
    const client = await connectClient(endpoint.port);
    await client.write('{"type":"alive"}\n');
    const connection = await until(
      () => endpoint.accepted.find((c) => c.messages().length > 0),
      "the live connection",
    );
    expect(connection.messages()).toEqual(['{"type":"alive"}']);
  });

  it("rejects listen() when the port is taken", async () => {
    const first = await startEndpoint();
    const second = createTcpEndpoint({ port: first.port, maxPayload: 10, accept: () => {} });
    await expect(second.listen()).rejects.toMatchObject({ code: "EADDRINUSE" });
  });

  it("close() stops accepting, then resolves once the last connection is gone", async () => {
    const endpoint = await startEndpoint({ closeGrace: 10_000 });
    const client = await connectClient(endpoint.port);
    const connection = await endpoint.connection(0);
    let closed = false;
    const closing = endpoint.close().then(() => {
      closed = true;
    });
    await expect(connectClient(endpoint.port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(closed).toBe(false);
    connection.transport.close(1001, "server shutting down");
    await client.ended;
    await closing;
    expect(await connection.next("socket.closed")).toMatchObject({ code: 1001 });
  });

  it("close() destroys connections still open after closeGrace", async () => {
    const endpoint = await startEndpoint({ closeGrace: 50 });
    const client = await connectClient(endpoint.port);
    const connection = await endpoint.connection(0);
    await endpoint.close();
    await client.closed;
    expect(await connection.next("socket.closed")).toMatchObject({ code: 1006 });
  });

  it("close() before listen() resolves at once, and twice returns the same promise", async () => {
    const endpoint = createTcpEndpoint({ port: 0, maxPayload: 10, accept: () => {} });
    const closing = endpoint.close();
    expect(endpoint.close()).toBe(closing);
    await closing;
  });

  it("destroys a connection whose accept throws, and reports the error", async () => {
    const errors: Error[] = [];
    const endpoint = createTcpEndpoint({
      port: 0,
      maxPayload: 10,
      accept: () => {
        throw new Error("boom");
      },
      onError: (error) => errors.push(error),
    });
    const { port } = await endpoint.listen();
    const client = await connectClient(port);
    await client.closed;
    expect(errors.map((error) => error.message)).toEqual(["boom"]);
    await endpoint.close();
  });
});
