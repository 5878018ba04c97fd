import { createServer } from "node:http";
import { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import {
  type Authenticate,
  type Broker,
  type BrokerError,
  type BrokerOptions,
  type ClientHandle,
  CloseCode,
} from "../../src/index.js";
import { withinLimit } from "../helpers/condition.js";
import { openRaw, type RawConnection, upgradeRequest } from "../helpers/raw-websocket.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient, type TestClient } from "../helpers/test-client.js";
import { expectBystanderServed } from "./bystander.js";

/** A broker with one well-behaved client, watching every `connect` and `error` after it. */
interface Arena {
  readonly broker: Broker;
  readonly url: string;
  readonly port: number;
  readonly bystander: TestClient;
  readonly bystanderId: string;
  /** Connections admitted after the bystander's. */
  readonly connects: ClientHandle[];
  readonly errors: BrokerError[];
}

async function arena(options: BrokerOptions = {}): Promise<Arena> {
  const { broker, url, port } = await startBroker(options);
  const bystanderIn = nextEvent<[ClientHandle]>(broker, "connect");
  const bystander = await connectClient(url);
  const [{ id: bystanderId }] = await bystanderIn;
  const connects: ClientHandle[] = [];
  const errors: BrokerError[] = [];
  broker.on("connect", (client) => {
    connects.push(client);
  });
  broker.on("error", (_client, error) => {
    errors.push(error);
  });
  return { broker, url, port, bystander, bystanderId, connects, errors };
}

/**
 * After a refused or broken handshake: no connection was admitted for it, nothing was reported
 * as an error, the other client still sends and receives, and a new client can connect.
 */
async function expectUnharmed(arena: Arena, raw: RawConnection): Promise<void> {
  const { broker, bystander, bystanderId } = arena;
  raw.destroy();
  await raw.ended;
  await expectBystanderServed(broker, bystander, bystanderId);
  expect(arena.connects).toEqual([]);
  expect(arena.errors).toEqual([]);
  expect(broker.inspect().connections.map((connection) => connection.id)).toEqual([bystanderId]);
  const newcomer = await connectClient(arena.url);
  newcomer.close(CloseCode.NORMAL);
  expect((await newcomer.closed).code).toBe(CloseCode.NORMAL);
}

/** `count` headers of `X-Filler-<n>: <16 characters>`. */
function fillerHeaders(count: number): Array<readonly [string, string]> {
  return Array.from({ length: count }, (_, n) => [`X-Filler-${n}`, "f".repeat(16)] as const);
}

/** An `authenticate` that allows everyone and counts the requests marked `X-Hostile`. */
function countingAuthenticate(): { authenticate: Authenticate; hostileCalls: () => number } {
  let calls = 0;
  return {
    authenticate: (request) => {
      if (request.headers["x-hostile"] !== undefined) calls += 1;
      return true;
    },
    hostileCalls: () => calls,
  };
}

describe("refused handshakes", () => {
  it("answers 405 to a POST with Upgrade: websocket, before authenticate runs", async () => {
    const { authenticate, hostileCalls } = countingAuthenticate();
    const setup = await arena({ authenticate });
    const raw = openRaw(
      setup.port,
      upgradeRequest({ method: "POST", headers: [["X-Hostile", "1"]] }),
    );
    const response = await raw.response;
    expect(response).toMatchObject({ status: 405, body: "Invalid HTTP method\n" });
    expect(response.headers.get("allow")).toBe("GET");
    await raw.ended;
    expect(hostileCalls()).toBe(0);
    await expectUnharmed(setup, raw);
  });

  it("answers 400 to an upgrade without Sec-WebSocket-Key, before authenticate runs", async () => {
    const { authenticate, hostileCalls } = countingAuthenticate();
    const setup = await arena({ authenticate });
    const raw = openRaw(setup.port, upgradeRequest({ key: null, headers: [["X-Hostile", "1"]] }));
    expect(await raw.response).toMatchObject({
      status: 400,
      body: "Missing or invalid Sec-WebSocket-Key header\n",
    });
    await raw.ended;
    expect(hostileCalls()).toBe(0);
    await expectUnharmed(setup, raw);
  });

  it("closes the server's socket of a refused upgrade even if the client keeps its side open", async () => {
    // An attached server, to watch the server's end of the connection.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const setup = await arena({ server });
    const hostileSide = new Promise<Socket>((resolve) => server.once("connection", resolve));
    const raw = openRaw(setup.port, upgradeRequest({ path: "/ws?protocol=bogus" }), {
      allowHalfOpen: true,
    });
    expect((await raw.response).status).toBe(400);
    const socket = await hostileSide;
    const closed = new Promise((resolve) => {
      if (socket.destroyed) resolve(undefined);
      else socket.once("close", resolve);
    });
    await withinLimit(closed, "the server to close its socket while the client keeps its own");
    expect(raw.socket.destroyed).toBe(false);
    await expectUnharmed(setup, raw);
    // The broker first: upgraded sockets are its to close, not the server's.
    await setup.broker.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it("answers 431 to an upgrade with 2,000 headers (over Node's 16 KiB of headers)", async () => {
    const setup = await arena();
    const raw = openRaw(setup.port, upgradeRequest({ headers: fillerHeaders(2_000) }));
    expect((await raw.response).status).toBe(431);
    await raw.ended;
    await expectUnharmed(setup, raw);
  });

  it("answers 400 to ws's CVE-2024-37890 request: 2,001 tiny headers pushing Upgrade and the key past Node's header-count cap", async () => {
    const setup = await arena();
    // Node keeps only the first 2,000 headers (maxHeadersCount); older ws then read a missing
    // Sec-WebSocket-Key and crashed the process. The request stays under 16 KiB on purpose.
    const filler = Array.from({ length: 2_001 }, (_, n) => `a${n % 10}: b`);
    const request = [
      "GET /ws HTTP/1.1",
      "Host: 127.0.0.1",
      ...filler,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Version: 13",
      `Sec-WebSocket-Key: ${Buffer.alloc(16, 7).toString("base64")}`,
    ].join("\r\n");
    expect(request.length).toBeLessThan(16 * 1024);
    const raw = openRaw(setup.port, `${request}\r\n\r\n`);
    expect((await raw.response).status).toBe(400);
    await raw.ended;
    await expectUnharmed(setup, raw);
  });

  it("answers 431 to a 64 KiB Sec-WebSocket-Protocol before any broker code runs", async () => {
    const setup = await arena();
    const raw = openRaw(
      setup.port,
      upgradeRequest({ headers: [["Sec-WebSocket-Protocol", "p".repeat(64 * 1024)]] }),
    );
    expect((await raw.response).status).toBe(431);
    await raw.ended;
    await expectUnharmed(setup, raw);
  });
});

describe("a long subprotocol list under Node's header limit", () => {
  it("is parsed and a codec picked from 1,500 offers", async () => {
    const setup = await arena();
    const offers = [...Array.from({ length: 1_500 }, (_, n) => `p${n}`), "switchboard.json"];
    const admitted = nextEvent<[ClientHandle]>(setup.broker, "connect");
    const raw = openRaw(
      setup.port,
      upgradeRequest({ headers: [["Sec-WebSocket-Protocol", offers.join(", ")]] }),
    );
    const response = await raw.response;
    expect(response.status).toBe(101);
    expect(response.headers.get("sec-websocket-protocol")).toBe("switchboard.json");
    const [client] = await admitted;
    expect(client.protocol).toBe("json");
    const gone = nextEvent<[ClientHandle]>(setup.broker, "disconnect");
    raw.destroy();
    expect((await gone)[0].id).toBe(client.id);
    // This one was a client, rightly admitted; the checks below are about what comes after.
    setup.connects.length = 0;
    await expectUnharmed(setup, raw);
  });
});

describe("slow and broken handshakes", () => {
  it("answers 408 and closes a handshake whose headers come one byte at a time, by headersTimeout", async () => {
    const setup = await arena({ headersTimeout: 200 });
    const request = upgradeRequest();
    const raw = openRaw(setup.port);
    await new Promise<void>((resolve) => raw.socket.once("connect", resolve));
    let sent = 0;
    let closed = false;
    void raw.ended.then(() => {
      closed = true;
    });
    // A slow-loris paces itself: one byte every 25 ms, the whole head would take seconds.
    while (!closed && sent < request.length) {
      raw.write(request.slice(sent, sent + 1));
      sent += 1;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(sent).toBeLessThan(request.length);
    expect((await raw.response).status).toBe(408);
    await expectUnharmed(setup, raw);
  });

  it("survives a TCP reset halfway through the request head", async () => {
    const setup = await arena();
    const request = upgradeRequest();
    const raw = openRaw(setup.port);
    await new Promise<void>((resolve) => raw.socket.once("connect", resolve));
    await new Promise<void>((resolve) =>
      raw.socket.write(request.slice(0, request.length / 2), () => resolve()),
    );
    raw.socket.resetAndDestroy();
    await raw.ended;
    await expectUnharmed(setup, raw);
  });

  it("survives a TCP reset while authenticate is still deciding, and admits nobody for it", async () => {
    let holding: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    let deciding: () => void = () => {};
    const decided = new Promise<void>((resolve) => {
      deciding = resolve;
    });
    const setup = await arena({
      authenticate: (request) => {
        if (request.headers["x-hold"] === undefined) return true;
        // For an upgrade the broker hands over the request itself, with its TCP socket.
        const { socket } = request;
        if (!(socket instanceof Socket)) throw new Error("No TCP socket on the upgrade request");
        holding();
        // Allows the client, but only once the server has seen the reset and closed the socket.
        return new Promise((resolve) =>
          socket.once("close", () => {
            resolve(true);
            deciding();
          }),
        );
      },
    });
    const raw = openRaw(setup.port, upgradeRequest({ headers: [["X-Hold", "1"]] }));
    await held;
    raw.socket.resetAndDestroy();
    await raw.ended;
    await decided;
    await expectUnharmed(setup, raw);
  });
});
