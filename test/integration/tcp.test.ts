import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { parseEventStream } from "../../protocols/event-source-parser.js";
import { type ClientHandle, json } from "../../src/index.js";
import { connectLines } from "../helpers/line-client.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

async function startWithTcp(options: Parameters<typeof startBroker>[0] = {}) {
  const started = await startBroker({ tcp: { port: 0 }, ...options });
  const address = await started.broker.listen();
  const tcpPort = address.tcp?.port;
  if (tcpPort === undefined) throw new Error("no TCP port");
  return { ...started, tcpPort };
}

describe("TCP clients in the broker", () => {
  it("are connection actors (transport tcp, JSON codec) with acks", async () => {
    const { broker, tcpPort } = await startWithTcp();
    broker.on("add", (_client, data) => (data as number[]).reduce((a, b) => a + b, 0));
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const client = await connectLines(tcpPort);
    const [handle] = await connected;
    expect([handle.transport, handle.protocol]).toEqual(["tcp", "json"]);
    client.send({ type: "add", data: [1, 2, 3], id: 9 });
    expect(await client.next()).toEqual({ type: "ack", id: 9, data: 6 });
    expect(broker.inspect().connections[0]?.state).toBe("open.alive");
  });

  it("handle a frame split across packets and several frames in one packet", async () => {
    const { broker, tcpPort } = await startWithTcp();
    broker.on("echo", (_client, data) => data);
    const client = await connectLines(tcpPort);
    await client.write('{"type":"echo","da');
    await client.write('ta":"split","id":1}\n{"type":"echo","data":"two","id":2}\n{"type":"ec');
    await client.write('ho","data":"three","id":3}\n');
    expect(await client.next()).toEqual({ type: "ack", id: 1, data: "split" });
    expect(await client.next()).toEqual({ type: "ack", id: 2, data: "two" });
    expect(await client.next()).toEqual({ type: "ack", id: 3, data: "three" });
  });

  it("answer an invalid line with a bad_frame error line and stay connected", async () => {
    const { broker, tcpPort } = await startWithTcp();
    broker.on("ping2", () => "pong2");
    const client = await connectLines(tcpPort);
    client.send("not json at all");
    expect(await client.next()).toMatchObject({ type: "error", data: { code: "bad_frame" } });
    client.send({ type: "ping2", id: 1 });
    expect(await client.next()).toEqual({ type: "ack", id: 1, data: "pong2" });
  });

  it("close a connection whose line exceeds maxPayload, leaving the others alone", async () => {
    const { broker, tcpPort } = await startWithTcp({ maxPayload: 256 });
    broker.on("error", () => {});
    const bystander = await connectLines(tcpPort);
    const offender = await connectLines(tcpPort);
    const gone = nextEvent<[ClientHandle, { code: number }]>(broker, "disconnect");
    offender.send({ type: "big", data: "x".repeat(1_000) });
    expect(await offender.next()).toMatchObject({ type: "close", data: { code: 1009 } });
    await offender.ended;
    expect((await gone)[1].code).toBe(1009);
    broker.broadcast({ type: "still", data: 1 });
    expect(await bystander.next()).toEqual({ type: "still", data: 1 });
  });

  it("keep a client that answers pings and drop one that does not, with 1006", async () => {
    const { broker, tcpPort } = await startWithTcp({ heartbeatInterval: 30, heartbeatTimeout: 30 });
    const lively = await connectLines(tcpPort);
    const silent = await connectLines(tcpPort, { autoPong: false });
    const [, info] = await nextEvent<[ClientHandle, { code: number; reason: string }]>(
      broker,
      "disconnect",
    );
    expect(info).toEqual({ code: 1006, reason: "heartbeat timeout" });
    await silent.ended;
    expect(broker.clients.size).toBe(1);
    broker.broadcast({ type: "alive" });
    expect(await lively.next()).toEqual({ type: "alive" });
  });

  it("get a close line with 1001 when the broker closes", async () => {
    const { broker, tcpPort } = await startWithTcp();
    const connected = nextEvent(broker, "connect");
    const client = await connectLines(tcpPort);
    await connected;
    await broker.close();
    expect(await client.next()).toMatchObject({ type: "close", data: { code: 1001 } });
    await client.ended;
  });
});

describe("one room, every transport", () => {
  it("delivers one broadcast to WebSocket (both codecs), SSE and TCP members alike", async () => {
    const { broker, url, port, tcpPort } = await startWithTcp({ protocol: json() });
    const members: ClientHandle[] = [];
    broker.on("connect", (client) => {
      members.push(client);
      client.join("mixed");
    });
    const wsJson = await connectClient(url);
    const wsSeparator = await connectClient(`${url}?protocol=separator`);
    const tcp = await connectLines(tcpPort);
    let sseText = "";
    let sseDelivered: (data: string) => void = () => {};
    const delivered = new Promise<string>((resolve) => {
      sseDelivered = resolve;
    });
    const sseOpen = new Promise<void>((resolve) => {
      request({ port, host: "127.0.0.1", path: "/events/mixed" }, (response) => {
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          sseText += chunk;
          const [first] = parseEventStream(sseText);
          if (first) sseDelivered(first.data);
        });
        resolve();
      }).end();
    });
    await sseOpen;
    while (members.length < 4) await nextEvent(broker, "connect");
    expect(new Set(members.map((member) => member.transport))).toEqual(
      new Set(["websocket", "tcp", "sse"]),
    );

    broker.broadcast({ type: "news", data: "hello" }, { room: "mixed" });
    expect(await wsJson.nextJson()).toEqual({ type: "news", data: "hello" });
    expect(await wsSeparator.next()).toBe('{"type":"news","data":"hello"}');
    expect(await tcp.next()).toEqual({ type: "news", data: "hello" });
    expect(await delivered).toBe("hello");
  });
});
