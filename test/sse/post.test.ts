import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { ClientHandle } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient, type TestClient } from "../helpers/test-client.js";
import {
  closeEventSources,
  openEventSource,
  openStream,
  post,
  publish,
  type RawStream,
  uniqueChannel,
} from "./sse-helpers.js";

afterEach(() => closeEventSources());

type Started = Awaited<ReturnType<typeof startBroker>>;

/** Opens a raw stream on `channel` and waits until the broker has it in the room. */
async function listen(started: Started, channel: string): Promise<RawStream> {
  const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
  const stream = await openStream(started.port, `/events/${channel}`);
  await connected;
  return stream;
}

/** Connects a WebSocket client (`?protocol=`) and joins it to `room`. */
async function joinedWebSocket(
  started: Started,
  protocol: "json" | "separator",
  room: string,
): Promise<TestClient> {
  const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
  const client = await connectClient(`${started.url}?protocol=${protocol}`);
  const [handle] = await connected;
  started.broker.join(handle.id, room);
  expect(started.broker.rooms.get(room)?.has(handle.id)).toBe(true);
  return client;
}

/** Sends a body of `chunks` with chunked transfer encoding (no Content-Length). */
function postChunked(
  port: number,
  path: string,
  chunks: readonly string[],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: "127.0.0.1",
      port,
      path,
      method: "POST",
      agent: false,
      headers: { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" },
    });
    outgoing.once("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.once("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    // The server may answer and hang up before it has read every chunk.
    outgoing.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    for (const chunk of chunks) outgoing.write(chunk);
    outgoing.end();
  });
}

describe("POST /events/:channel/:action", () => {
  it("delivers the action to SSE, JSON and separator members of the room alike", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("fanout");
    const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
    const source = openEventSource(`http://127.0.0.1:${started.port}/events/${channel}`, {
      types: ["greet"],
    });
    await source.opens.next();
    await connected;
    const structured = await joinedWebSocket(started, "json", channel);
    const plain = await joinedWebSocket(started, "separator", channel);

    const delivery = await publish(started.port, channel, "greet", "hello");
    expect(delivery.delivered).toBe(3);
    expect(delivery.id).toMatch(/^[A-Za-z0-9_-]+:1$/);

    expect(await source.events.next()).toEqual({
      type: "greet",
      data: "hello",
      lastEventId: delivery.id,
    });
    expect(await structured.nextJson()).toEqual({ type: "greet", data: "hello" });
    expect(await plain.next()).toBe("#greet|hello");
  });

  it("answers 202 with the delivered count and the event id", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("count");
    const first = await listen(started, channel);
    const second = await listen(started, channel);
    const answer = await post(started.port, `/events/${channel}/tick`, "1");
    expect(answer.status).toBe(202);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json\b/);
    expect(answer.body).toEqual({ delivered: 2, id: expect.stringMatching(/:1$/) });
    expect(await first.next()).toMatchObject({ type: "tick", data: "1" });
    expect(await second.next()).toMatchObject({ type: "tick", data: "1" });
    first.destroy();
    second.destroy();
  });

  it("answers 404 with a JSON error for a channel with no members and no history", async () => {
    const { port } = await startBroker();
    const answer = await post(port, `/events/${uniqueChannel("nobody")}/tick`, "1");
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: "not_found" } });
  });

  it("answers 400 to action names outside [A-Za-z0-9_.:-]{1,64}", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("names");
    const stream = await listen(started, channel);
    const invalid = ["has%20space", "a".repeat(65), "%C3%A9t%C3%A9", "semi;colon", "a%2Fb", ""];
    for (const action of invalid) {
      const answer = await post(started.port, `/events/${channel}/${action}`, "x");
      expect({ action, status: answer.status }).toEqual({ action, status: 400 });
      expect(answer.body).toMatchObject({ error: { code: "bad_request" } });
    }
    const longest = `${"a".repeat(60)}.:-_`;
    const accepted = await publish(started.port, channel, longest, "ok");
    expect(accepted.delivered).toBe(1);
    // Only the valid one reached the listener.
    expect(await stream.next()).toMatchObject({ type: longest, data: "ok" });
    stream.destroy();
  });

  it("answers 405 to an action outside sse.actions and delivers the allowed one", async () => {
    const started = await startBroker({ sse: { actions: ["ping"] } });
    const channel = uniqueChannel("allowed");
    const stream = await listen(started, channel);
    const refused = await post(started.port, `/events/${channel}/pong`, "x");
    expect(refused.status).toBe(405);
    expect(refused.body).toMatchObject({ error: { code: "method_not_allowed" } });
    expect((await publish(started.port, channel, "ping", "y")).delivered).toBe(1);
    expect(await stream.next()).toMatchObject({ type: "ping", data: "y" });
    stream.destroy();
  });

  it("answers 413 to a body over maxPayload with a Content-Length", async () => {
    const started = await startBroker({ maxPayload: 1024 });
    const channel = uniqueChannel("too-big");
    const stream = await listen(started, channel);
    const answer = await post(started.port, `/events/${channel}/big`, "x".repeat(1025));
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: { code: "payload_too_large" } });
    // A body of exactly maxPayload bytes is fine, and it is the first thing the listener gets.
    await publish(started.port, channel, "fits", "y".repeat(1024));
    expect(await stream.next()).toMatchObject({ type: "fits", data: "y".repeat(1024) });
    stream.destroy();
  });

  it("answers 413 to a chunked body over maxPayload", async () => {
    const started = await startBroker({ maxPayload: 1024 });
    const channel = uniqueChannel("too-big-chunked");
    const stream = await listen(started, channel);
    const answer = await postChunked(
      started.port,
      `/events/${channel}/big`,
      Array.from({ length: 8 }, () => "z".repeat(256)),
    );
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "payload_too_large" } });
    const small = await postChunked(started.port, `/events/${channel}/small`, ["a", "b", "c"]);
    expect(small.status).toBe(202);
    expect(await stream.next()).toMatchObject({ type: "small", data: "abc" });
    stream.destroy();
  });

  it("answers 400 with a JSON error to invalid JSON sent as application/json", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("bad-json");
    const stream = await listen(started, channel);
    const answer = await post(started.port, `/events/${channel}/data`, '{"unterminated":', {
      "Content-Type": "application/json",
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json\b/);
    expect(answer.body).toMatchObject({
      error: { code: "bad_request", message: expect.stringMatching(/JSON/) },
    });
    await publish(started.port, channel, "after", "next");
    expect(await stream.next()).toMatchObject({ type: "after", data: "next" });
    stream.destroy();
  });

  it("delivers a JSON body as parsed JSON", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("json-body");
    const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
    const source = openEventSource(`http://127.0.0.1:${started.port}/events/${channel}`, {
      types: ["update"],
    });
    await source.opens.next();
    await connected;
    const structured = await joinedWebSocket(started, "json", channel);
    const body = { n: 1, list: ["a", "b"], nested: { ok: true } };
    await publish(started.port, channel, "update", JSON.stringify(body), {
      "Content-Type": "application/json; charset=utf-8",
    });
    const received = await source.events.next();
    expect(received.type).toBe("update");
    expect(JSON.parse(received.data)).toEqual(body);
    // A parsed object, not the JSON text as a string.
    expect(await structured.nextJson()).toEqual({ type: "update", data: body });
  });

  it("delivers a multi-line text body as multi-line data", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("lines");
    const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
    const source = openEventSource(`http://127.0.0.1:${started.port}/events/${channel}`, {
      types: ["poem"],
    });
    await source.opens.next();
    await connected;
    const raw = await listen(started, channel);
    await publish(started.port, channel, "poem", "first line\nsecond line\r\nthird\rfourth");
    expect(await source.events.next()).toMatchObject({
      type: "poem",
      data: "first line\nsecond line\nthird\nfourth",
    });
    await raw.next();
    expect(raw.text).toContain(
      "event: poem\ndata: first line\ndata: second line\ndata: third\ndata: fourth\n\n",
    );
    raw.destroy();
  });

  it("ends every stream of the channel on close and answers 202 with their count", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("close");
    const other = uniqueChannel("close-other");
    const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
    const source = openEventSource(`http://127.0.0.1:${started.port}/events/${channel}`);
    await source.opens.next();
    await connected;
    const fetchConnected = nextEvent<[ClientHandle]>(started.broker, "connect");
    const response = await fetch(`http://127.0.0.1:${started.port}/events/${channel}`, {
      headers: { Accept: "text/event-stream" },
    });
    await fetchConnected;
    const bystander = await listen(started, other);
    const structured = await joinedWebSocket(started, "json", channel);

    const reader = response.body?.getReader();
    if (!reader) throw new Error("No body");
    const bodyEnded = (async () => {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        // Drain until the server ends the body.
      }
    })();

    const answer = await post(started.port, `/events/${channel}/close`);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ delivered: 2 });
    await bodyEnded;
    expect(await source.errors.next()).toBe(1);
    source.close();

    // Only that channel's streams ended: the WebSocket member and other channels stay.
    expect(structured.socket.readyState).toBe(structured.socket.OPEN);
    await publish(started.port, other, "still", "here");
    expect(await bystander.next()).toMatchObject({ type: "still", data: "here" });
    bystander.destroy();
  });

  it("answers 404 to close on an unknown channel", async () => {
    const { port } = await startBroker();
    const answer = await post(port, `/events/${uniqueChannel("close-unknown")}/close`);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("broker.broadcast to a room", () => {
  it("reaches the room's SSE listeners with an id", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("broadcast");
    const stream = await listen(started, channel);
    const otherChannel = uniqueChannel("broadcast-elsewhere");
    const elsewhere = await listen(started, otherChannel);
    started.broker.broadcast("plain news", { room: channel });
    started.broker.broadcast({ type: "headline", data: { title: "t" } }, { room: channel });
    started.broker.broadcast({ any: "object" }, { room: channel });
    const [plain, headline, object] = await stream.take(3);
    expect(plain).toEqual({
      type: "message",
      data: "plain news",
      lastEventId: expect.stringMatching(/^[A-Za-z0-9_-]+:1$/),
    });
    expect(headline).toEqual({
      type: "headline",
      data: '{"title":"t"}',
      lastEventId: expect.stringMatching(/:2$/),
    });
    expect(object).toEqual({
      type: "message",
      data: '{"any":"object"}',
      lastEventId: expect.stringMatching(/:3$/),
    });
    // The other channel's listener got none of it: its first event is its own.
    started.broker.broadcast("for the other one", { room: otherChannel });
    expect(await elsewhere.next()).toMatchObject({ data: "for the other one" });
    stream.destroy();
    elsewhere.destroy();
  });

  it("reaches SSE listeners from a broadcast to everyone, without an id", async () => {
    const started = await startBroker();
    const stream = await listen(started, uniqueChannel("broadcast-all"));
    started.broker.broadcast("to all");
    expect(await stream.next()).toEqual({ type: "message", data: "to all", lastEventId: "" });
    stream.destroy();
  });
});
