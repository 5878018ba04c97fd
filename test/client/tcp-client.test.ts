import { once as onceEmitted } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLineSplitter } from "../../src/client/line-splitter.js";
import {
  type Broker,
  type BrokerOptions,
  type ClientHandle,
  createBroker,
} from "../../src/index.js";
import { nextEvent } from "../helpers/test-broker.js";
import { collect, connectTo, errorCodes, once } from "./client-helpers.js";

const brokers: Broker[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((broker) => broker.close()));
  for (const server of servers.splice(0)) server.close();
});

/** A broker with its TCP endpoint on (port 0 unless given); resolves with the tcp:// URL. */
async function startTcpBroker(options: BrokerOptions = {}, tcpPort = 0) {
  const broker = createBroker({ port: 0, host: "127.0.0.1", tcp: { port: tcpPort }, ...options });
  brokers.push(broker);
  const { tcp } = await broker.listen();
  if (!tcp) throw new Error("the broker did not open its TCP endpoint");
  return { broker, url: `tcp://127.0.0.1:${tcp.port}`, tcpPort: tcp.port };
}

/** A raw TCP server standing in for the broker: the test writes and reads its lines itself. */
async function rawServer() {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  const accepted = onceEmitted(server, "connection") as Promise<[Socket]>;
  return { url: `tcp://127.0.0.1:${address.port}`, accepted };
}

/** Resolves with the next `count` lines a raw socket receives. */
function readLines(socket: Socket, count: number): Promise<string[]> {
  socket.setEncoding("utf8");
  const splitter = createLineSplitter(1024);
  const lines: string[] = [];
  return new Promise((resolve) => {
    const onData = (chunk: string) => {
      lines.push(...splitter.push(chunk).lines);
      if (lines.length < count) return;
      socket.off("data", onData);
      resolve(lines.slice(0, count));
    };
    socket.on("data", onData);
  });
}

describe("client over tcp://", () => {
  it("opens, sends to a broker listener, receives events and closes", async () => {
    const { broker, url } = await startTcpBroker();
    const accepted = nextEvent<[ClientHandle]>(broker, "connect");
    const client = connectTo(url);
    const [[handle]] = await Promise.all([accepted, client.ready()]);
    expect(handle.transport).toBe("tcp");
    expect(client.protocol).toBe("json");

    const heard = nextEvent<[ClientHandle, unknown]>(broker, "chat");
    client.send("chat", { text: "over tcp" });
    expect((await heard)[1]).toEqual({ text: "over tcp" });

    const news = new Promise((resolve) => client.on("news", resolve));
    broker.emit(handle.id, "news", { n: 1 });
    expect(await news).toEqual({ n: 1 });

    const disconnect = nextEvent<[ClientHandle, { code: number }]>(broker, "disconnect");
    await client.close();
    expect(client.state).toBe("closed");
    await disconnect;
  });

  it("resolves requests with the broker's ack", async () => {
    const { broker, url } = await startTcpBroker();
    broker.on("sum", (_client, data) => (data as number[]).reduce((a, b) => a + b, 0));
    const client = connectTo(url);
    await expect(client.request("sum", [1, 2, 3])).resolves.toBe(6);
  });

  it("reports the broker's close line as the close code and reason", async () => {
    const { broker, url } = await startTcpBroker();
    const client = connectTo(url, { reconnect: false });
    await client.ready();
    const closed = once(client, "close");
    await broker.close();
    expect(await closed).toEqual({ code: 1001, reason: "server shutting down" });
  });

  it("reconnects after the broker restarts on the same TCP port and flushes its queue in order", async () => {
    const first = await startTcpBroker();
    const client = connectTo(first.url, { reconnect: { min: 5, max: 20 } });
    errorCodes(client);
    await client.ready();
    const closed = once(client, "close");
    await first.broker.close();
    await closed;
    for (let n = 1; n <= 3; n++) client.send("n", n);
    const second = await startTcpBroker({}, first.tcpPort);
    const received = collect(second.broker, "n", 3);
    await once(client, "open");
    expect(await received).toEqual([1, 2, 3]);
  });

  it("answers a ping line with a pong line and never shows either to the application", async () => {
    const { url, accepted } = await rawServer();
    const client = connectTo(url, { reconnect: false });
    const [socket] = await accepted;
    const seen: string[] = [];
    client.on("ping", () => seen.push("ping"));
    const replies = readLines(socket, 1);
    socket.write('{"type":"ping"}\n');
    expect(await replies).toEqual(['{"type":"pong"}']);
    expect(seen).toEqual([]);
  });

  it("reads frames split across writes and several frames in one write", async () => {
    const { url, accepted } = await rawServer();
    const client = connectTo(url, { reconnect: false });
    const [socket] = await accepted;
    await client.ready();
    const third = new Promise((resolve) => client.on("c", resolve));
    socket.write('{"type":"a","da');
    socket.write('ta":1}\r\n{"type":"b","data":"é"}\n{"type":"c"');
    socket.write(',"data":3}\n');
    await third;
    expect(client.pump()).toEqual([
      { type: "a", data: 1 },
      { type: "b", data: "é" },
      { type: "c", data: 3 },
    ]);
  });

  it("sends one JSON frame per line", async () => {
    const { url, accepted } = await rawServer();
    const client = connectTo(url, { reconnect: false });
    client.send("a", "line\nbreak");
    const request = client.request("b", 2, { timeout: 5_000 });
    const [socket] = await accepted;
    const lines = await readLines(socket, 2);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { type: "a", data: "line\nbreak" },
      { type: "b", data: 2, id: 1 },
    ]);
    socket.write('{"type":"ack","id":1,"data":"ok"}\n');
    await expect(request).resolves.toBe("ok");
  });
});
