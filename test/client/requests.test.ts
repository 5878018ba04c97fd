import { describe, expect, it } from "vitest";
import { ClientErrorCode } from "../../src/client/index.js";
import { type ClientHandle, json } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectTo, errorCodes, rejection } from "./client-helpers.js";

/** A JSON broker whose listener errors are swallowed (tests throw on purpose). */
async function broker() {
  const started = await startBroker({ protocol: json() });
  started.broker.on("error", () => {});
  return started;
}

describe("client request", () => {
  it("resolves with the data of the broker's ack", async () => {
    const { broker: server, url } = await broker();
    server.on("sum", (_client, data) => {
      const [a, b] = data as [number, number];
      return a + b;
    });
    const client = connectTo(url);
    // Sent before the connection opens: queued, then flushed, then acked.
    await expect(client.request("sum", [2, 3])).resolves.toBe(5);
    await expect(client.request("sum", [40, 2], { timeout: 5_000 })).resolves.toBe(42);
  });

  it("resolves with what an async listener resolves to", async () => {
    const { broker: server, url } = await broker();
    server.on("echo", async (_client, data) => ({ echoed: data }));
    const client = connectTo(url);
    await expect(client.request("echo", "x")).resolves.toEqual({ echoed: "x" });
  });

  it("rejects with request_failed when the listener throws", async () => {
    const { broker: server, url } = await broker();
    server.on("save", () => {
      throw new Error("disk full");
    });
    const client = connectTo(url);
    const error = await rejection(client.request("save", { doc: 1 }));
    expect(error.code).toBe("request_failed");
    expect(error.message).toMatch(/disk full/);
    expect(client.state).toBe("open");
  });

  it("rejects at once with no_listener when nobody listens to the event, and the message listener still answers", async () => {
    const { broker: server, url } = await broker();
    const client = connectTo(url);
    await client.ready();
    // A long timeout: the answer must come from the broker, not from the client giving up.
    const error = await rejection(client.request("nobody", 1, { timeout: 60_000 }));
    expect(error.code).toBe(ClientErrorCode.NO_LISTENER);
    expect(error.message).toMatch(/No listener for "nobody"/);
    expect(client.state).toBe("open");

    // With a `message` listener, unheard events are its to answer, as before.
    server.on("message", (_client, data, event) => ({ event, data }));
    await expect(client.request("nobody", 2)).resolves.toEqual({ event: "nobody", data: 2 });
  });

  it("rejects with timeout when no ack comes in time", async () => {
    const { broker: server, url } = await broker();
    // The never-settling listener first: an ack answers with the first listener's result.
    server.on("stall", () => new Promise(() => {}));
    const heard = nextEvent<[ClientHandle, unknown]>(server, "stall");
    const client = connectTo(url);
    await client.ready();
    const error = await rejection(client.request("stall", 1, { timeout: 50 }));
    expect(error.code).toBe("timeout");
    expect(error.message).toBe('Request "stall" timed out after 50 ms');
    // It was sent all the same: the broker's listener got it.
    expect((await heard)[1]).toBe(1);
  });

  it("times out a request queued while the broker is unreachable, and unqueues it", async () => {
    const { broker: server, url } = await broker();
    await server.close();
    const client = connectTo(url, { reconnect: { min: 1_000, max: 1_000 } });
    errorCodes(client);
    const pending = client.request("sum", [1, 1], { timeout: 50 });
    expect(client.queued).toBe(1);
    expect((await rejection(pending)).code).toBe("timeout");
    expect(client.queued).toBe(0);
  });

  it("rejects pending requests with closed on close()", async () => {
    const { broker: server, url } = await broker();
    server.on("stall", () => new Promise(() => {}));
    const client = connectTo(url);
    await client.ready();
    const pending = client.request("stall", 1);
    const closing = client.close();
    expect((await rejection(pending)).code).toBe("closed");
    await closing;
  });

  it("rejects a request sent on a connection that drops with disconnected", async () => {
    const { broker: server, url } = await broker();
    // The never-settling listener first: an ack answers with the first listener's result.
    server.on("stall", () => new Promise(() => {}));
    const heard = nextEvent<[ClientHandle, unknown]>(server, "stall");
    const client = connectTo(url, { reconnect: false });
    await client.ready();
    const pending = client.request("stall", 1);
    await heard;
    const closing = server.close();
    expect((await rejection(pending)).code).toBe("disconnected");
    await closing;
  });
});
