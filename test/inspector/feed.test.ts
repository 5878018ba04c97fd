import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Feed } from "../../src/inspector/feed.js";
import type { FeedRecord } from "../../src/inspector/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";
import { openStream } from "../sse/sse-helpers.js";
import { isRecord, openFeed } from "./inspector-helpers.js";

type Handle = { readonly id: string };

describe("inspector feed", () => {
  it("sends kept history first, then live records of a connection's life", async () => {
    const { broker, url, port } = await startBroker({ inspector: true });
    const firstConnected = nextEvent<[Handle]>(broker, "connect");
    const first = await connectClient(url);
    const [early] = await firstConnected;

    const feed = await openFeed(port);
    expect(feed.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(feed.headers["cache-control"]).toBe("no-store");
    expect(feed.hello.payloads).toBe(false);
    // History: the supervisor and the connection that was already there.
    await feed.until(isRecord("connect", { actor: early.id }));
    const history = [...feed.seen];
    expect(history.every((record) => record.seq <= feed.hello.seq)).toBe(true);
    expect(history.map((record) => record.seq)).toEqual(
      [...history.map((record) => record.seq)].sort((a, b) => a - b),
    );
    expect(history).toContainEqual(
      expect.objectContaining({ type: "actor", actor: "supervisor", kind: "supervisor" }),
    );
    expect(history).toContainEqual(
      expect.objectContaining({ type: "actor", actor: early.id, kind: "connection" }),
    );

    // Live: a new client's actor, its open state and its connect.
    const connected = nextEvent<[Handle]>(broker, "connect");
    const client = await connectClient(url);
    const [handle] = await connected;
    await feed.until(isRecord("actor", { actor: handle.id, kind: "connection" }));
    const open = await feed.until(isRecord("snapshot", { actor: handle.id, state: "open.alive" }));
    expect(open.seq).toBeGreaterThan(feed.hello.seq);
    const connect = await feed.until(isRecord("connect", { actor: handle.id }));
    expect(connect).toMatchObject({
      transport: "websocket",
      codec: "separator",
      address: "127.0.0.1",
    });
    expect(typeof connect.time).toBe("number");

    client.close(1000, "bye");
    const closed = await feed.until(isRecord("snapshot", { actor: handle.id, state: "closed" }));
    expect(closed).toMatchObject({ kind: "connection", status: "done" });
    const gone = await feed.until(isRecord("disconnect", { actor: handle.id }));
    expect(gone).toMatchObject({ code: 1000, reason: "bye" });
    first.close();
    feed.close();
  });

  it("records events with source, target and type, and repeats no unchanged snapshot", async () => {
    const { broker, url, port } = await startBroker({ inspector: true });
    const feed = await openFeed(port);
    const connected = nextEvent<[Handle]>(broker, "connect");
    const client = await connectClient(url);
    const [handle] = await connected;
    await feed.until(isRecord("connect", { actor: handle.id }));
    broker.join(handle.id, "lobby");
    const join = await feed.until(isRecord("event", { event: "room.join" }));
    expect(join).toMatchObject({ target: "supervisor", fields: { id: handle.id, room: "lobby" } });
    for (const text of ["#a|1", "#b|2", "#c|3"]) client.send(text);
    for (let count = 0; count < 3; count += 1) {
      await feed.until(isRecord("event", { target: handle.id, event: "socket.message" }));
    }
    client.close();
    await feed.until(isRecord("disconnect", { actor: handle.id }));
    const own = feed.seen.filter(
      (record): record is Extract<FeedRecord, { type: "snapshot" }> =>
        record.type === "snapshot" && record.actor === handle.id,
    );
    expect(own.map((record) => record.state)).toEqual(["connecting", "open.alive", "closed"]);
    const notice = feed.seen.find(isRecord("event", { event: "connection.closed" }));
    expect(notice).toMatchObject({ source: handle.id, target: "supervisor" });
    feed.close();
  });

  it("shows server timers as supervisor children", async () => {
    const { broker, port } = await startBroker({ inspector: true });
    const feed = await openFeed(port);
    const timer = broker.setInterval(() => {}, 60_000);
    const actor = await feed.until(isRecord("actor", { actor: timer }));
    expect(actor).toMatchObject({ kind: "timer", parent: "supervisor" });
    broker.clearInterval(timer);
    const stopped = await feed.until(isRecord("snapshot", { actor: timer, status: "stopped" }));
    expect(stopped).toMatchObject({ kind: "timer", state: "", status: "stopped" });
    feed.close();
  });

  it("is not a broker connection: opening feeds adds no client", async () => {
    const { broker, port } = await startBroker({ inspector: true });
    const feeds = await Promise.all([openFeed(port), openFeed(port)]);
    expect(broker.clients.size).toBe(0);
    expect(broker.inspect().connections).toEqual([]);
    for (const feed of feeds) feed.close();
  });

  it("resumes after Last-Event-ID", async () => {
    const { broker, port } = await startBroker({ inspector: true });
    const timer = broker.setInterval(() => {}, 60_000);
    const first = await openFeed(port);
    const seen = await first.until(isRecord("actor", { actor: timer }));
    first.close();
    broker.clearInterval(timer);
    const resumed = await openFeed(port, "/_inspect/feed", { "Last-Event-ID": String(seen.seq) });
    const next = await resumed.until(() => true);
    expect(next.seq).toBe(seen.seq + 1);
    await resumed.until(isRecord("snapshot", { actor: timer, status: "stopped" }));
    expect(resumed.seen.some((record) => record.seq <= seen.seq)).toBe(false);
    resumed.close();
  });

  it("ends every feed when the broker closes", async () => {
    const { broker, port } = await startBroker({ inspector: true });
    const feed = await openFeed(port);
    await broker.close();
    await feed.raw.ended;
  });

  describe("payloads", () => {
    const secrets = [
      "s3cret-frame-7731",
      "s3cret-json-5120",
      "s3cret-whisper-9911",
      "s3cret-cast-4242",
    ];

    async function exchange(payloads: boolean): Promise<string> {
      const { broker, url, port } = await startBroker({ inspector: { payloads } });
      const feed = await openFeed(port);
      const connected = nextEvent<[Handle]>(broker, "connect");
      const client = await connectClient(url);
      const [handle] = await connected;
      const jsonConnected = nextEvent<[Handle]>(broker, "connect");
      const jsonClient = await connectClient(`${url}?protocol=json`);
      await jsonConnected;
      client.send(`#chat|${secrets[0]}`);
      jsonClient.send(JSON.stringify({ type: "chat", data: secrets[1] }));
      broker.whisper(handle.id, secrets[2]);
      broker.broadcast({ text: secrets[3] });
      const expected = ["socket.message", "socket.message", "client.send", "broadcast"];
      const pending = [...expected];
      await feed.until((record) => {
        const index = record.type === "event" ? pending.indexOf(record.event) : -1;
        if (index >= 0) pending.splice(index, 1);
        return pending.length === 0;
      });
      client.close();
      jsonClient.close();
      await feed.until(isRecord("disconnect"));
      feed.close();
      return feed.raw.text;
    }

    it("hides message payloads by default", async () => {
      const text = await exchange(false);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).toContain('"frame":"[hidden]"');
      expect(text).toContain('"payload":"[hidden]"');
    });

    it("shows them with payloads: true", async () => {
      const text = await exchange(true);
      for (const secret of secrets) expect(text).toContain(secret);
    });
  });
});

describe("Feed", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  });

  async function serve(feed: Feed): Promise<number> {
    const server = createServer((request, response) => feed.open(request, response, undefined));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return address.port;
  }

  it("keeps a bounded history, oldest first", () => {
    const feed = new Feed({ history: 3 });
    for (let n = 0; n < 5; n += 1) feed.publish({ type: "actor", actor: `a${n}`, kind: "other" });
    expect(feed.history().map((record) => record.seq)).toEqual([3, 4, 5]);
  });

  it("sends keepalive comments", async () => {
    const feed = new Feed({ keepalive: 30 });
    const stream = await openStream(await serve(feed), "/");
    await stream.waitFor((text) => text.includes(": keepalive\n\n"), "keepalive");
    stream.destroy();
    feed.close();
  });

  it("drops a feed that stops reading once over its buffer limit", async () => {
    const feed = new Feed({ maxBuffered: 64 * 1024 });
    const port = await serve(feed);
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    socket.write("GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
    socket.pause();
    while (feed.size === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const filler = "x".repeat(900);
    for (let n = 0; n < 20_000 && feed.size > 0; n += 1) {
      feed.publish({ type: "disconnect", actor: "a", code: 1000, reason: filler });
      if (n % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(feed.size).toBe(0);
    socket.destroy();
    await closed;
    feed.close();
  });

  it("refuses feeds after close", async () => {
    const feed = new Feed();
    const port = await serve(feed);
    feed.close();
    const stream = await openStream(port, "/");
    expect(stream.status).toBe(503);
    stream.destroy();
  });
});
