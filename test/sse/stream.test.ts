import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { ClientHandle, DisconnectInfo } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import {
  closeEventSources,
  openEventSource,
  openStream,
  post,
  publish,
  uniqueChannel,
} from "./sse-helpers.js";

afterEach(() => closeEventSources());

describe("GET /events/:channel", () => {
  it("opens an event stream with the SSE headers and a retry block first", async () => {
    const { port } = await startBroker({ sse: { retry: 1234 } });
    const stream = await openStream(port, `/events/${uniqueChannel("headers")}`);
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toMatch(/^text\/event-stream\b/);
    expect(stream.headers["cache-control"]).toBe("no-cache");
    expect(stream.headers["x-accel-buffering"]).toBe("no");
    await stream.waitFor((text) => text.includes("\n\n"), "the first block");
    expect(stream.text.startsWith("retry: 1234\n")).toBe(true);
    expect(stream.state.retry).toBe(1234);
    stream.destroy();
  });

  it("starts with the default retry of 3000 ms", async () => {
    const { port } = await startBroker();
    const stream = await openStream(port, `/events/${uniqueChannel("retry")}`);
    await stream.waitFor((text) => text.includes("\n\n"), "the first block");
    expect(stream.text.startsWith("retry: 3000\n")).toBe(true);
    stream.destroy();
  });

  it("writes a keepalive comment every keepalive ms", async () => {
    const { port } = await startBroker({ sse: { keepalive: 30 } });
    const stream = await openStream(port, `/events/${uniqueChannel("keepalive")}`);
    await stream.waitFor(
      (text) => text.split(": keepalive\n\n").length - 1 >= 2,
      "two keepalive comments",
    );
    // Comments are not events: nothing was dispatched.
    expect(stream.events.pending).toEqual([]);
    stream.destroy();
  });

  it("makes the listener a connection actor of transport sse in room :channel", async () => {
    const { broker, port } = await startBroker();
    const channel = uniqueChannel("actor");
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const stream = await openStream(port, `/events/${channel}`);
    const [client] = await connected;

    expect(client.transport).toBe("sse");
    expect(client.protocol).toBe("event-source");
    expect(client.address).toBe("127.0.0.1");
    expect([...client.rooms]).toEqual([channel]);
    expect(broker.clients.get(client.id)).toBe(client);
    expect([...(broker.rooms.get(channel) ?? [])]).toEqual([client.id]);
    const snapshot = broker.inspect();
    expect(snapshot.connections).toContainEqual(
      expect.objectContaining({
        id: client.id,
        state: "open.alive",
        transport: "sse",
        protocol: "event-source",
        rooms: [channel],
      }),
    );
    expect(snapshot.supervisor.rooms[channel]).toEqual([client.id]);

    const disconnected = nextEvent<[ClientHandle, DisconnectInfo]>(broker, "disconnect");
    stream.destroy();
    const [gone, info] = await disconnected;
    expect(gone.id).toBe(client.id);
    expect(info.code).toBe(1000);
    expect(broker.clients.has(client.id)).toBe(false);
    expect(broker.rooms.has(channel)).toBe(false);
    expect(broker.inspect().connections).toEqual([]);
  });

  it("fires connect and disconnect for a real EventSource client", async () => {
    const { broker, port } = await startBroker();
    const channel = uniqueChannel("eventsource");
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const source = openEventSource(`http://127.0.0.1:${port}/events/${channel}`);
    await source.opens.next();
    const [client] = await connected;
    expect(client.transport).toBe("sse");
    expect(broker.rooms.get(channel)?.has(client.id)).toBe(true);

    const disconnected = nextEvent<[ClientHandle, DisconnectInfo]>(broker, "disconnect");
    source.close();
    const [gone] = await disconnected;
    expect(gone.id).toBe(client.id);
    expect(broker.clients.size).toBe(0);
  });

  it("answers 406 to a client that does not accept text/event-stream", async () => {
    const { port } = await startBroker();
    const response = await fetch(`http://127.0.0.1:${port}/events/${uniqueChannel("accept")}`, {
      headers: { Accept: "application/json" },
    });
    expect(response.status).toBe(406);
    expect(await response.json()).toMatchObject({ error: { code: "not_acceptable" } });
  });

  it("answers 400 to a path with more than channel and action", async () => {
    const { port } = await startBroker();
    const response = await fetch(`http://127.0.0.1:${port}/events/a/b/c`, {
      headers: { Accept: "text/event-stream" },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "bad_request" } });
    const posted = await post(port, "/events/a/b/c", "x");
    expect(posted.status).toBe(400);
  });

  it("answers 405 to a POST without an action", async () => {
    const { broker, port } = await startBroker();
    const channel = uniqueChannel("no-action");
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const stream = await openStream(port, `/events/${channel}`);
    await connected;
    const answer = await post(port, `/events/${channel}`, "x");
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("GET");
    expect(answer.body).toMatchObject({ error: { code: "method_not_allowed" } });
    // The listener got nothing from it.
    await publish(port, channel, "after", "1");
    expect(await stream.next()).toMatchObject({ type: "after", data: "1" });
    stream.destroy();
  });

  it("answers HEAD with the stream headers and an ended response, opening no listener", async () => {
    const { broker, port } = await startBroker();
    const channel = uniqueChannel("head");
    let connects = 0;
    broker.on("connect", () => {
      connects += 1;
    });
    const answer = await new Promise<{ status: number; type: string | undefined }>(
      (resolve, reject) => {
        const outgoing = request({
          host: "127.0.0.1",
          port,
          path: `/events/${channel}`,
          method: "HEAD",
          agent: false,
          headers: { Accept: "text/event-stream" },
        });
        outgoing.once("error", reject);
        outgoing.once("response", (response) => {
          response.resume();
          response.once("end", () =>
            resolve({ status: response.statusCode ?? 0, type: response.headers["content-type"] }),
          );
        });
        // A HEAD answer that never ends holds the client forever: fail within a bound instead.
        outgoing.setTimeout(2_000, () => {
          outgoing.destroy();
          reject(new Error("The HEAD response did not end within 2 s"));
        });
        outgoing.end();
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^text\/event-stream\b/);
    expect(connects).toBe(0);
    expect(broker.clients.size).toBe(0);
    expect(broker.rooms.has(channel)).toBe(false);
  });
});
