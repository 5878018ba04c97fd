import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { type ClientHandle, createBroker, json, separator } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

describe("codec negotiation", () => {
  it("uses the default codec when the client chooses none", async () => {
    const { broker, url } = await startBroker();
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    await connectClient(url);
    expect((await connected)[0].protocol).toBe("separator");
  });

  it("picks the codec a client offers as subprotocol", async () => {
    const { broker, url } = await startBroker();
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const client = await connectClient(url, { protocols: ["switchboard.json"] });
    expect(client.protocol).toBe("switchboard.json");
    expect((await connected)[0].protocol).toBe("json");
  });

  it("picks the codec named by ?protocol=", async () => {
    const { broker, url } = await startBroker();
    broker.on("hello", () => "hi");
    const client = await connectClient(`${url}?protocol=json`);
    client.send(JSON.stringify({ type: "hello", id: 1 }));
    expect(await client.nextJson()).toEqual({ type: "ack", id: 1, data: "hi" });
  });

  it("refuses an unknown ?protocol= with HTTP 400 before the upgrade", async () => {
    const { url } = await startBroker();
    await expect(connectClient(`${url}?protocol=xml`)).rejects.toThrow(/Unexpected response 400/);
  });

  it("answers 404 to an upgrade on another path and 426 to a plain GET on the endpoint", async () => {
    const { port } = await startBroker();
    await expect(connectClient(`ws://127.0.0.1:${port}/elsewhere`)).rejects.toThrow(/404/);
    const response = await fetch(`http://127.0.0.1:${port}/ws`);
    expect(response.status).toBe(426);
  });

  it("mixes codecs in one broadcast, encoding for each", async () => {
    const { url, broker } = await startBroker();
    const plain = await connectClient(url);
    const structured = await connectClient(`${url}?protocol=json`);
    broker.broadcast("news");
    expect(await plain.next()).toBe("news");
    expect(await structured.nextJson()).toEqual({ type: "message", data: "news" });
  });

  it("replaces lone surrogates with U+FFFD on the wire", async () => {
    const { url, broker } = await startBroker();
    const client = await connectClient(url);
    broker.broadcast("a\uD800b");
    expect(await client.next()).toBe("a\uFFFDb");
  });
});

describe("acknowledgements (JSON codec)", () => {
  it("answers with a handler's value, a resolved promise, or a failure", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    broker.on("add", (_client, data) => {
      const [a, b] = data as [number, number];
      return a + b;
    });
    broker.on("stall", async () => "done");
    broker.on("fail", () => {
      throw new Error("nope");
    });
    broker.on("error", () => {});
    const client = await connectClient(url);
    client.send(JSON.stringify({ type: "add", data: [2, 3], id: 1 }));
    expect(await client.nextJson()).toEqual({ type: "ack", id: 1, data: 5 });
    client.send(JSON.stringify({ type: "stall", id: 2 }));
    expect(await client.nextJson()).toEqual({ type: "ack", id: 2, data: "done" });
    client.send(JSON.stringify({ type: "fail", id: 3 }));
    expect(await client.nextJson()).toEqual({ type: "ack", id: 3, error: { message: "nope" } });
  });
});

describe("rooms, whisper, emit and broadcast", () => {
  it("delivers to everyone, to one room, and to a room except some ids", async () => {
    const { broker, url } = await startBroker();
    const ids: string[] = [];
    broker.on("connect", (client) => {
      ids.push(client.id);
    });
    const [a, b, c] = [
      await connectClient(url),
      await connectClient(url),
      await connectClient(url),
    ];
    const [idA, idB] = ids as [string, string, string];
    broker.join(idA, "red");
    broker.join(idB, "red");
    expect([...(broker.rooms.get("red") ?? [])].sort()).toEqual([idA, idB].sort());

    broker.broadcast("to red", { room: "red" });
    broker.broadcast("to red but a", { room: "red", except: idA });
    broker.broadcast("to all");
    expect([await a.next(), await a.next()]).toEqual(["to red", "to all"]);
    expect([await b.next(), await b.next(), await b.next()]).toEqual([
      "to red",
      "to red but a",
      "to all",
    ]);
    expect(await c.next()).toBe("to all");

    broker.leave(idA, "red");
    broker.leave(idB, "red");
    expect(broker.rooms.has("red")).toBe(false);
  });

  it("whispers to one client and emits named events escaped by its codec", async () => {
    const { broker, url } = await startBroker({ protocol: separator("|") });
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const client = await connectClient(url);
    const [handle] = await connected;
    expect(broker.whisper(handle.id, { type: "users", users: ["a"] })).toBe(true);
    expect(await client.next()).toBe('{"type":"users","users":["a"]}');
    expect(broker.emit(handle.id, "#event", ["a|b", "c\\d"])).toBe(true);
    expect(await client.next()).toBe("#event|a\\|b|c\\\\d");
  });

  it("lets a client handle join, leave and close itself", async () => {
    const { broker, url } = await startBroker();
    broker.on("#join", (client, data) => {
      client.join((data as string[])[0] ?? "");
      client.send([...client.rooms].join(","));
    });
    broker.on("#bye", (client) => {
      client.close(4000, "bye");
    });
    const client = await connectClient(url);
    client.send("#join|blue");
    expect(await client.next()).toBe("blue");
    client.send("#bye");
    expect(await client.closed).toEqual({ code: 4000, reason: "bye" });
  });

  it("runs a timeout once and an interval until cleared", async () => {
    const { broker } = await startBroker();
    const fired = await new Promise<string>((resolve) =>
      broker.setTimeout(() => resolve("once"), 5),
    );
    expect(fired).toBe("once");
    let ticks = 0;
    const timer = await new Promise<string>((resolve) => {
      const id = broker.setInterval(() => {
        ticks += 1;
        if (ticks === 3) resolve(id);
      }, 2);
    });
    expect(broker.inspect().supervisor.timers).toEqual([{ id: timer, kind: "interval", ms: 2 }]);
    broker.clearInterval(timer);
    expect(broker.inspect().supervisor.timers).toEqual([]);
  });
});

describe("embedding", () => {
  it("attaches to an existing http.Server and leaves its other routes alone", async () => {
    const server = createServer((_request, response) => {
      response.end("app");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const broker = createBroker({ server, path: "/live" });
    broker.on("message", (client, data) => client.send(data));
    const address = await broker.listen();
    expect(address.url).toBe(`ws://127.0.0.1:${port}/live`);
    const client = await connectClient(address.url);
    client.send("ping");
    expect(await client.next()).toBe("ping");
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("app");
    await broker.close();
    expect((await client.closed).code).toBe(1001);
    expect(server.listening).toBe(true);
    await new Promise((resolve) => server.close(resolve));
  });

  it("shows every actor in inspect()", async () => {
    const { broker, url } = await startBroker();
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    await connectClient(url);
    const [handle] = await connected;
    handle.join("lobby");
    const snapshot = broker.inspect();
    expect(snapshot.supervisor.state).toBe("running");
    expect(snapshot.supervisor.rooms).toEqual({ lobby: [handle.id] });
    expect(snapshot.connections).toEqual([
      expect.objectContaining({
        id: handle.id,
        state: "open.alive",
        transport: "websocket",
        rooms: ["lobby"],
      }),
    ]);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it("passes every actor's inspection events to the inspect option", async () => {
    const seen: string[] = [];
    const { broker, url } = await startBroker({
      inspect: (event) => {
        if (event.type !== "@xstate.snapshot") return;
        const { value } = event.snapshot as { value?: unknown };
        const { id } = event.actorRef as { id?: string };
        seen.push(`${id}:${JSON.stringify(value)}`);
      },
    });
    const disconnected = nextEvent<[ClientHandle]>(broker, "disconnect");
    const client = await connectClient(url);
    client.close();
    const [handle] = await disconnected;
    expect(seen).toContain(`${handle.id}:{"open":"alive"}`);
    expect(seen).toContain(`${handle.id}:"closed"`);
  });
});
