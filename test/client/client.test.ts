import { describe, expect, it } from "vitest";
import { type ClientHandle, type DisconnectInfo, json, separator } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { collect, connectTo, errorCodes, nextError, once } from "./client-helpers.js";

/** A broker and a client connected to it (both sides ready). */
async function connected(protocol: "json" | "separator" = "json") {
  const { broker, url, port } = await startBroker({
    protocol: protocol === "json" ? json() : separator(),
  });
  const accepted = nextEvent<[ClientHandle]>(broker, "connect");
  const client = connectTo(url, { protocol });
  const [[handle]] = await Promise.all([accepted, client.ready()]);
  return { broker, url, port, client, handle };
}

describe("client lifecycle", () => {
  it("fires open, then close with the code and reason of close()", async () => {
    const { broker, url } = await startBroker();
    const client = connectTo(url);
    expect(client.state).toBe("connecting");
    await once(client, "open");
    expect(client.state).toBe("open");
    expect(client.protocol).toBe("json");

    const disconnect = nextEvent<[ClientHandle, DisconnectInfo]>(broker, "disconnect");
    const closed = once(client, "close");
    const done = client.close(1000, "bye");
    expect(client.state).toBe("closed");
    expect(await closed).toEqual({ code: 1000, reason: "bye" });
    await done;
    const [, info] = await disconnect;
    expect(info.code).toBe(1000);
  });

  it("negotiates the json codec by subprotocol whatever the broker's default", async () => {
    const { client, handle } = await connected("json");
    expect(handle.protocol).toBe("json");
    expect(client.state).toBe("open");
  });

  it("rejects ready() and sends after close()", async () => {
    const { client } = await connected();
    await client.close();
    await expect(client.ready()).rejects.toMatchObject({ code: "closed" });
    expect(() => client.send("chat", "late")).toThrow(expect.objectContaining({ code: "closed" }));
    await expect(client.request("sum", [1, 2])).rejects.toMatchObject({ code: "closed" });
  });

  it("refuses URLs it cannot speak and options it cannot honour", () => {
    expect(() => connectTo("http://")).toThrow(TypeError);
    expect(() => connectTo("ftp://127.0.0.1:1/")).toThrow(/not ws:, wss: or tcp:/);
    expect(() => connectTo("tcp://127.0.0.1")).toThrow(/no port/);
    expect(() => connectTo("tcp://127.0.0.1:1", { protocol: "separator" })).toThrow(/json only/);
    expect(() => connectTo("ws://127.0.0.1:1/ws", { queue: { max: 0 } })).toThrow(RangeError);
    expect(() => connectTo("ws://127.0.0.1:1/ws", { reconnect: { min: 10, max: 5 } })).toThrow(
      RangeError,
    );
  });
});

describe("client listeners", () => {
  it("calls on and bind listeners in order, and stops calling them after off", async () => {
    const { broker, client, handle } = await connected();
    const calls: string[] = [];
    const first = (data: unknown) => calls.push(`on:${String(data)}`);
    const second = (data: unknown) => calls.push(`bind:${String(data)}`);
    client.on("news", first).bind("news", second);

    const one = new Promise((resolve) => client.on("step", resolve));
    broker.emit(handle.id, "news", 1);
    broker.emit(handle.id, "step", 1);
    await one;
    client.off("news", first);

    const two = new Promise((resolve) => client.on("step2", resolve));
    broker.emit(handle.id, "news", 2);
    broker.emit(handle.id, "step2", 2);
    await two;
    client.off("news");

    const three = new Promise((resolve) => client.on("step3", resolve));
    broker.emit(handle.id, "news", 3);
    broker.emit(handle.id, "step3", 3);
    await three;
    expect(calls).toEqual(["on:1", "bind:1", "bind:2"]);
  });

  it("reports a throwing listener as an error event and keeps going", async () => {
    const { broker, client, handle } = await connected();
    const failed = nextError(client, "listener_failed");
    const after = new Promise((resolve) => client.on("news", resolve));
    client.on("news", () => {
      throw new Error("boom");
    });
    broker.emit(handle.id, "news", 1);
    expect((await failed).message).toMatch(/"news" listener threw: boom/);
    expect(await after).toBe(1);
  });
});

describe("client send and receive (json)", () => {
  it("sends an event that reaches the broker's listener", async () => {
    const { broker, client, handle } = await connected();
    const heard = nextEvent<[ClientHandle, unknown]>(broker, "chat");
    expect(client.send("chat", { text: "hello" })).toBe(true);
    const [who, data] = await heard;
    expect(who.id).toBe(handle.id);
    expect(data).toEqual({ text: "hello" });
  });

  it("receives broadcasts by type, plain payloads as message, and typed frames whole", async () => {
    const { broker, client } = await connected();
    const news = new Promise((resolve) => client.on("news", resolve));
    const message = new Promise((resolve) => client.on("message", resolve));
    const msg = new Promise((resolve) => client.on("msg", resolve));
    broker.broadcast({ type: "news", data: { headline: "hi" } });
    broker.broadcast([1, 2]);
    broker.broadcast({ type: "msg", user: "alice", message: "hello" });
    expect(await news).toEqual({ headline: "hi" });
    expect(await message).toEqual([1, 2]);
    expect(await msg).toEqual({ type: "msg", user: "alice", message: "hello" });
  });

  it("surfaces the broker's error frames as error events with their code", async () => {
    const { client } = await connected();
    const error = nextError(client, "bad_frame");
    // `ack` is reserved: the broker answers with a bad_frame error frame and stays connected.
    client.send("ack", 1);
    expect((await error).message).toMatch(/reserved|Invalid/i);
    expect(client.state).toBe("open");
  });

  it("refuses broker events named like a lifecycle event", async () => {
    const { broker, client, handle } = await connected();
    const codes = errorCodes(client);
    const closeListener = new Promise((resolve) => client.on("close", resolve));
    const marker = new Promise((resolve) => client.on("marker", resolve));
    broker.emit(handle.id, "close", "not a close");
    broker.emit(handle.id, "marker", 1);
    await marker;
    expect(codes).toEqual(["reserved_event"]);
    expect(client.state).toBe("open");
    await client.close();
    expect(await closeListener).toEqual({ code: 1000, reason: "" });
  });

  it("throws encode_failed for data JSON cannot carry", async () => {
    const { client } = await connected();
    expect(() => client.send("big", 1n)).toThrow(
      expect.objectContaining({ code: "encode_failed" }),
    );
    expect(() => client.send("", 1)).toThrow(expect.objectContaining({ code: "encode_failed" }));
  });
});

describe("client over the separator protocol", () => {
  it("sends #event|fields and plain messages, and receives both", async () => {
    const { broker, client, handle } = await connected("separator");
    expect(client.protocol).toBe("separator");
    expect(handle.protocol).toBe("separator");

    const heard = collect(broker, "#chat", 2);
    const plain = nextEvent<[ClientHandle, unknown]>(broker, "message");
    client.send("#chat", ["a|b", "c"]);
    client.send("chat", "no hash");
    client.send("message", "just text");
    expect(await heard).toEqual([["a|b", "c"], ["no hash"]]);
    expect((await plain)[1]).toBe("just text");

    const tick = new Promise((resolve) => client.on("#tick", resolve));
    const message = new Promise((resolve) => client.on("message", resolve));
    broker.emit(handle.id, "#tick", ["1", "2"]);
    broker.whisper(handle.id, "hello there");
    expect(await tick).toEqual(["1", "2"]);
    expect(await message).toBe("hello there");
  });

  it("surfaces #error frames as error events and rejects requests as unsupported", async () => {
    const { broker, client, handle } = await connected("separator");
    const error = nextError(client, "rate_limited");
    broker.emit(handle.id, "#error", ["rate_limited", "slow down"]);
    expect((await error).message).toBe("slow down");
    await expect(client.request("#sum", [1, 2])).rejects.toMatchObject({ code: "unsupported" });
  });
});
