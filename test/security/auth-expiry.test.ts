import http from "node:http";
import { describe, expect, it } from "vitest";
import {
  type AuthRequest,
  type Broker,
  type ClientHandle,
  ServerEvent,
  withExpiry,
} from "../../src/index.js";
import { connectLines } from "../helpers/line-client.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

/**
 * Tokens: `short` expires 150 ms after it is checked, `fresh` lasts an hour, anything else is
 * refused. Only the expiry instant is time-based; every test waits for the frame or event.
 */
function tokens(request: AuthRequest) {
  const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
  if (token === "short") return withExpiry({ user: "sam", token }, Date.now() + 150);
  if (token === "fresh") return withExpiry({ token }, Date.now() + 3_600_000);
  return false;
}

interface Frame {
  readonly type: string;
  readonly id?: number;
  readonly data?: { readonly code?: string; readonly ok?: boolean } | string;
}

function stateOf(broker: Broker, id: string): string | undefined {
  return broker.inspect().connections.find((connection) => connection.id === id)?.state;
}

async function expiringClient(options: Parameters<typeof startBroker>[0] = {}) {
  const started = await startBroker({ authenticate: tokens, ...options });
  const connected = nextEvent<[ClientHandle]>(started.broker, ServerEvent.CONNECT);
  const client = await connectClient(started.url, {
    protocols: "switchboard.json",
    headers: { authorization: "Bearer short" },
  });
  const [handle] = await connected;
  return { ...started, client, handle };
}

describe("withExpiry", () => {
  it("refuses an expiry that is not a finite time (a missing exp claim would expire at once)", () => {
    expect(() => withExpiry({}, Number.NaN)).toThrow(TypeError);
    expect(() => withExpiry({}, Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(withExpiry({ user: "u" }, 1_000).expiresAt).toBe(1_000);
  });
});

describe("expiring credentials (withExpiry): the expired state", () => {
  it("sends auth_expired, refuses other frames while expired, and an auth frame with a fresh token reopens the connection", async () => {
    const { broker, client, handle } = await expiringClient();
    broker.on("echo", (_client, data) => data);
    expect(handle.data).toEqual({ user: "sam", token: "short" });

    const expired = await client.nextJson<Frame>();
    expect(expired).toMatchObject({ type: "error", data: { code: "auth_expired" } });
    expect(stateOf(broker, handle.id)).toBe("expired");

    client.send(JSON.stringify({ type: "echo", data: "hi" }));
    expect(await client.nextJson<Frame>()).toMatchObject({ data: { code: "auth_expired" } });
    // A request is refused on its id, so the client need not wait for its own timeout.
    client.send(JSON.stringify({ type: "echo", id: 1, data: "hi" }));
    expect(await client.nextJson<Frame>()).toEqual({
      type: "ack",
      id: 1,
      error: { code: "auth_expired", message: expect.stringContaining("Credentials expired") },
    });

    client.send(JSON.stringify({ type: "auth", data: { token: "fresh" } }));
    expect(await client.nextJson<Frame>()).toEqual({ type: "auth", data: { ok: true } });
    expect(stateOf(broker, handle.id)).toMatch(/^open/);
    // The fresh answer's fields are merged into the client's data.
    expect(handle.data).toEqual({ user: "sam", token: "fresh" });
    client.send(JSON.stringify({ type: "echo", id: 2, data: "back" }));
    expect(await client.nextJson<Frame>()).toEqual({ type: "ack", id: 2, data: "back" });
    client.close();
  });

  it("closes with 1008 when no auth frame comes within authGrace", async () => {
    const { broker, client, handle } = await expiringClient({ authGrace: 100 });
    const gone = new Promise<number>((resolve) =>
      broker.on(ServerEvent.DISCONNECT, (closed, info) => {
        if (closed.id === handle.id) resolve(info.code);
      }),
    );
    expect(await client.nextJson<Frame>()).toMatchObject({ data: { code: "auth_expired" } });
    expect((await client.closed).code).toBe(1008);
    expect((await client.closed).reason).toBe("auth expired");
    expect(await gone).toBe(1008);
  });

  it("answers an auth frame without a token with unauthorized, keeping the client expired", async () => {
    const { broker, client, handle } = await expiringClient();
    expect(await client.nextJson<Frame>()).toMatchObject({ data: { code: "auth_expired" } });
    client.send(JSON.stringify({ type: "auth", data: {} }));
    expect(await client.nextJson<Frame>()).toMatchObject({
      type: "error",
      data: { code: "unauthorized" },
    });
    expect(stateOf(broker, handle.id)).toBe("expired");
    client.close();
  });

  it("answers a refused token with unauthorized and keeps the client expired until the grace runs out", async () => {
    const { broker, client, handle } = await expiringClient({ authGrace: 300 });
    expect(await client.nextJson<Frame>()).toMatchObject({ data: { code: "auth_expired" } });
    client.send(JSON.stringify({ type: "auth", data: { token: "forged" } }));
    expect(await client.nextJson<Frame>()).toMatchObject({
      type: "error",
      data: { code: "unauthorized" },
    });
    expect(stateOf(broker, handle.id)).toBe("expired");
    expect((await client.closed).code).toBe(1008);
  });

  it("renews before expiry too: an early auth frame cancels the old expiry", async () => {
    const { broker, url, client, handle } = await expiringClient();
    client.send(JSON.stringify({ type: "auth", data: { token: "fresh" } }));
    expect(await client.nextJson<Frame>()).toEqual({ type: "auth", data: { ok: true } });
    // A witness authenticated later with the same short token: once it has expired, the first
    // client's original expiry has passed too.
    const witness = await connectClient(url, {
      protocols: "switchboard.json",
      headers: { authorization: "Bearer short" },
    });
    expect(await witness.nextJson<Frame>()).toMatchObject({ data: { code: "auth_expired" } });
    expect(stateOf(broker, handle.id)).toMatch(/^open/);
    expect(client.pending).toEqual([]);
    client.close();
    witness.close();
  });

  it("a TCP client renews with the same auth frame it connected with", async () => {
    const started = await startBroker({ authenticate: tokens, tcp: { port: 0 } });
    const tcpPort = (await started.broker.listen()).tcp?.port;
    if (tcpPort === undefined) throw new Error("no TCP port");
    const client = await connectLines(tcpPort);
    client.send({ type: "auth", data: { token: "short" } });
    expect(await client.next()).toEqual({ type: "auth", data: { ok: true } });
    expect(await client.next<Frame>()).toMatchObject({ data: { code: "auth_expired" } });
    client.send({ type: "auth", data: { token: "fresh" } });
    expect(await client.next()).toEqual({ type: "auth", data: { ok: true } });
    client.socket.destroy();
  });

  it("an SSE stream gets an auth_expired event, then ends after authGrace (EventSource reconnects with fresh cookies)", async () => {
    const { broker, port } = await startBroker({ authenticate: tokens, authGrace: 100 });
    const gone = nextEvent<[ClientHandle, { code: number }]>(broker, ServerEvent.DISCONNECT);
    const response = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(
        {
          port,
          host: "127.0.0.1",
          path: "/events/expiring",
          headers: { accept: "text/event-stream", authorization: "Bearer short" },
        },
        resolve,
      ),
    );
    let body = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      body += chunk;
    });
    await new Promise((resolve) => response.once("end", resolve));
    expect(body).toContain("event: error");
    expect(body).toContain("auth_expired");
    const [, info] = await gone;
    expect(info.code).toBe(1008);
  });
});
