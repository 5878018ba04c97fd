import { describe, expect, it } from "vitest";
import type { ReconnectingInfo } from "../../src/client/index.js";
import { json } from "../../src/index.js";
import { startBroker } from "../helpers/test-broker.js";
import { collect, connectTo, errorCodes, nextError, once } from "./client-helpers.js";

/** Backoff short enough for tests: ceilings 5, 10, 20, 20… ms. */
const fast = { min: 5, max: 20 } as const;

/** A port nothing listens on: a broker's, once closed. */
async function deadUrl(): Promise<string> {
  const { broker, url } = await startBroker();
  await broker.close();
  return url;
}

describe("client reconnect", () => {
  it("reconnects after the broker restarts on the same port and flushes its queue in order", async () => {
    const first = await startBroker({ protocol: json() });
    const client = connectTo(first.url, { reconnect: fast });
    const codes = errorCodes(client);
    const reconnecting: ReconnectingInfo[] = [];
    client.on("reconnecting", (info) => reconnecting.push(info));
    await client.ready();

    const closed = once(client, "close");
    await first.broker.close();
    expect(await closed).toEqual({ code: 1001, reason: "server shutting down" });
    expect(client.state).not.toBe("open");

    for (let n = 1; n <= 5; n++) expect(client.send("n", n)).toBe(true);
    expect(client.queued).toBe(5);

    const second = await startBroker({ protocol: json(), port: first.port });
    const received = collect(second.broker, "n", 6);
    const reopened = once(client, "open");
    // Sent from an `open` listener: after the queued frames.
    client.on("open", () => client.send("n", 6));
    await reopened;
    expect(client.queued).toBe(0);
    expect(await received).toEqual([1, 2, 3, 4, 5, 6]);

    expect(reconnecting.length).toBeGreaterThanOrEqual(1);
    reconnecting.forEach((info, index) => {
      expect(info.attempt).toBe(index + 1);
      expect(info.delay).toBeGreaterThanOrEqual(0);
      expect(info.delay).toBeLessThanOrEqual(fast.max);
    });
    // Every failed attempt in between was reported, and nothing else.
    expect(codes.filter((code) => code !== "connect_failed")).toEqual([]);
  });

  it("does not reconnect with reconnect: false", async () => {
    const { broker, url } = await startBroker();
    const client = connectTo(url, { reconnect: false });
    const reconnecting: ReconnectingInfo[] = [];
    client.on("reconnecting", (info) => reconnecting.push(info));
    await client.ready();
    const closed = once(client, "close");
    await broker.close();
    expect((await closed).code).toBe(1001);
    expect(client.state).toBe("closed");
    expect(reconnecting).toEqual([]);
    expect(() => client.send("late", 1)).toThrow(expect.objectContaining({ code: "closed" }));
  });

  it("fails once, with connect_failed and close, when the first attempt fails and reconnect is off", async () => {
    const client = connectTo(await deadUrl(), { reconnect: false });
    const failed = nextError(client, "connect_failed");
    const closed = once(client, "close");
    await expect(client.ready()).rejects.toMatchObject({ code: "connect_failed" });
    expect((await failed).message).toMatch(/Cannot connect to ws:\/\/127\.0\.0\.1:\d+\/ws/);
    expect((await closed).code).toBe(1006);
    expect(client.state).toBe("closed");
  });

  it("gives up after reconnect.attempts, dropping its queue with reconnect_failed", async () => {
    const client = connectTo(await deadUrl(), { reconnect: { min: 0, max: 0, attempts: 2 } });
    const codes = errorCodes(client);
    const attempts: number[] = [];
    client.on("reconnecting", ({ attempt, delay }) => {
      attempts.push(attempt);
      expect(delay).toBe(0);
    });
    client.send("lost", 1);
    const closed = once(client, "close");
    await expect(client.ready()).rejects.toMatchObject({ code: "reconnect_failed" });
    await closed;
    expect(attempts).toEqual([1, 2]);
    expect(codes).toEqual([
      "connect_failed",
      "connect_failed",
      "connect_failed",
      "reconnect_failed",
    ]);
    expect(client.state).toBe("closed");
  });

  it("never reconnects after close() by the user", async () => {
    const { url } = await startBroker();
    const client = connectTo(url, { reconnect: fast });
    await client.ready();
    const reconnecting: ReconnectingInfo[] = [];
    client.on("reconnecting", (info) => reconnecting.push(info));
    await client.close();
    expect(client.state).toBe("closed");
    expect(reconnecting).toEqual([]);
  });

  it("stops reconnecting when closed while waiting to reconnect", async () => {
    const client = connectTo(await deadUrl(), { reconnect: { min: 60_000, max: 60_000 } });
    errorCodes(client);
    const waiting = once(client, "reconnecting");
    await waiting;
    expect(client.state).toBe("reconnecting");
    const closed = once(client, "close");
    await client.close();
    expect(await closed).toEqual({ code: 1000, reason: "" });
    expect(client.state).toBe("closed");
  });
});

describe("client queue", () => {
  it("reports overflow with queue_full and drops only the frames past the bound", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    const client = connectTo(url, { queue: { max: 2 } });
    const codes = errorCodes(client);
    expect(client.state).toBe("connecting");
    expect(client.send("n", 1)).toBe(true);
    expect(client.send("n", 2)).toBe(true);
    expect(client.send("n", 3)).toBe(false);
    expect(codes).toEqual(["queue_full"]);
    expect(await client.request("n", 4).catch((error: { code: string }) => error.code)).toBe(
      "queue_full",
    );
    const received = collect(broker, "n", 3);
    await client.ready();
    client.send("n", "after");
    expect(await received).toEqual([1, 2, "after"]);
  });

  it("refuses to queue with queue: false", async () => {
    const { url } = await startBroker();
    const client = connectTo(url, { queue: false });
    const codes = errorCodes(client);
    expect(client.send("n", 1)).toBe(false);
    expect(codes).toEqual(["not_open"]);
  });

  it("reports queued frames dropped by close()", async () => {
    const client = connectTo(await deadUrl(), { reconnect: { min: 60_000, max: 60_000 } });
    const codes = errorCodes(client);
    client.send("n", 1);
    await client.close();
    expect(codes.at(-1)).toBe("closed");
  });
});
