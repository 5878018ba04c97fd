import { describe, expect, it } from "vitest";
import type { ClientEvent } from "../../src/client/index.js";
import { type ClientHandle, json } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectTo, errorCodes } from "./client-helpers.js";

async function connected(options: Parameters<typeof connectTo>[1] = {}) {
  const { broker, url } = await startBroker({ protocol: json() });
  const accepted = nextEvent<[ClientHandle]>(broker, "connect");
  const client = connectTo(url, options);
  const [[handle]] = await Promise.all([accepted, client.ready()]);
  return { broker, client, handle };
}

describe("client pump", () => {
  it("returns the events received since the last call, then []", async () => {
    const { broker, client, handle } = await connected();
    expect(client.pump()).toEqual([]);
    const third = new Promise((resolve) => client.on("c", resolve));
    broker.emit(handle.id, "a", 1);
    broker.broadcast({ type: "b", data: { x: 2 } });
    broker.emit(handle.id, "c", [3]);
    await third;
    expect(client.pump()).toEqual([
      { type: "a", data: 1 },
      { type: "b", data: { x: 2 } },
      { type: "c", data: [3] },
    ]);
    expect(client.pump()).toEqual([]);
  });

  it("drops the oldest past pump.max and reports pump_overflow once per pump() call", async () => {
    const { broker, client, handle } = await connected({ pump: { max: 2 } });
    const codes = errorCodes(client);
    const last = new Promise((resolve) => client.on("e4", resolve));
    for (let n = 1; n <= 4; n++) broker.emit(handle.id, `e${n}`, n);
    await last;
    expect(client.pump().map((event) => event.type)).toEqual(["e3", "e4"]);
    expect(codes).toEqual(["pump_overflow"]);
  });

  it("keeps no buffer with pump: false", async () => {
    const { client } = await connected({ pump: false });
    expect(() => client.pump()).toThrow(/pump\(\) is off/);
  });
});

describe("client async iterator", () => {
  it("yields events as they come and ends on close()", async () => {
    const { broker, client, handle } = await connected();
    const seen: ClientEvent[] = [];
    const loop = (async () => {
      for await (const event of client) {
        seen.push(event);
        if (event.type === "second") void client.close();
      }
    })();
    broker.emit(handle.id, "first", 1);
    broker.emit(handle.id, "second", 2);
    await loop;
    expect(seen).toEqual([
      { type: "first", data: 1 },
      { type: "second", data: 2 },
    ]);
  });

  it("ends when reconnecting gives up", async () => {
    const { broker, client } = await connected({ reconnect: false });
    const loop = (async () => {
      const seen: ClientEvent[] = [];
      for await (const event of client) seen.push(event);
      return seen;
    })();
    await broker.close();
    expect(await loop).toEqual([]);
  });

  it("stops listening on break", async () => {
    const { broker, client, handle } = await connected();
    const loop = (async () => {
      for await (const event of client) return event;
      return undefined;
    })();
    broker.emit(handle.id, "only", 1);
    expect(await loop).toEqual({ type: "only", data: 1 });
    const after = new Promise((resolve) => client.on("more", resolve));
    broker.emit(handle.id, "more", 2);
    await after;
    // A new iterator starts from now: what came before is not replayed.
    const iterator = client[Symbol.asyncIterator]();
    broker.emit(handle.id, "fresh", 3);
    expect(await iterator.next()).toEqual({ value: { type: "fresh", data: 3 }, done: false });
  });
});
