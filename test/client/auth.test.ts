import { describe, expect, it } from "vitest";
import { ClientErrorCode } from "../../src/client/index.js";
import {
  type AuthRequest,
  type BrokerOptions,
  type ClientHandle,
  json,
  separator,
  withExpiry,
} from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { collect, connectTo, errorCodes, nextError, once, rejection } from "./client-helpers.js";

/**
 * The broker's side: `good` is admitted for an hour; `short` is admitted but expires 150 ms after
 * it is checked (the only time-based step: tests wait for the frame or event it causes); `fresh`
 * lasts an hour; anything else is refused. Every request seen is recorded.
 */
function tokenBroker(seen: AuthRequest[] = []) {
  return (request: AuthRequest) => {
    seen.push(request);
    const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
    if (token === "good") return withExpiry({ user: "ada" }, Date.now() + 3_600_000);
    if (token === "short") return withExpiry({ user: "sam", token }, Date.now() + 150);
    if (token === "fresh") return withExpiry({ token }, Date.now() + 3_600_000);
    return false;
  };
}

/** A broker with both endpoints: the WebSocket URL and the tcp:// one. */
async function startAuthBroker(options: BrokerOptions) {
  const started = await startBroker({ tcp: { port: 0 }, ...options });
  const tcpPort = (await started.broker.listen()).tcp?.port;
  if (tcpPort === undefined) throw new Error("the broker did not open its TCP endpoint");
  return { ...started, tcpUrl: `tcp://127.0.0.1:${tcpPort}` };
}

/** A token function returning `tokens` in turn (the last one from then on), counting its calls. */
function tokensInTurn(...tokens: string[]) {
  const source = {
    calls: 0,
    next: () => tokens[Math.min(source.calls++, tokens.length - 1)] ?? "",
  };
  return source;
}

const FAST_RETRY = { min: 0, max: 0, factor: 1 } as const;

describe("client token over a WebSocket (Node: Authorization header on the upgrade)", () => {
  it("sends Authorization: Bearer <token> on the upgrade, never in the URL; the broker's answer is client.data", async () => {
    const seen: AuthRequest[] = [];
    const { broker, url } = await startBroker({
      authenticate: tokenBroker(seen),
      protocol: json(),
    });
    broker.on("whoami", (client) => (client.data as { user: string }).user);
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const client = connectTo(url, { token: "good" });
    await client.ready();
    const [handle] = await connected;
    expect(handle.data).toEqual({ user: "ada" });
    expect(await client.request("whoami", null)).toBe("ada");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.authorization).toBe("Bearer good");
    expect(seen[0]?.url).not.toContain("good");
  });

  it("a refused token is an unauthorized error, ready() rejects, and a static token is not retried", async () => {
    const seen: AuthRequest[] = [];
    const { url } = await startBroker({ authenticate: tokenBroker(seen) });
    const client = connectTo(url, { token: "stolen" });
    const closed = once(client, "close");
    const refused = await nextError(client, ClientErrorCode.UNAUTHORIZED);
    expect(refused.message).toContain("401");
    expect(refused.message).toContain("Not authenticated");
    const failure = await rejection(client.ready());
    expect(failure.code).toBe(ClientErrorCode.UNAUTHORIZED);
    expect(await closed).toMatchObject({ code: 1008 });
    // Closed, with no retry timer pending: the broker saw exactly one attempt.
    expect(client.state).toBe("closed");
    expect(seen).toHaveLength(1);
  });

  for (const tcp of [false, true]) {
    it(`with a token function a refusal is retried, calling the function again for a new token (${tcp ? "tcp://" : "WebSocket"})`, async () => {
      const { url, tcpUrl } = await startAuthBroker({ authenticate: tokenBroker() });
      const source = tokensInTurn("stolen", "good");
      const client = connectTo(tcp ? tcpUrl : url, { token: source.next, reconnect: FAST_RETRY });
      const codes = errorCodes(client);
      await client.ready();
      expect(codes).toEqual([ClientErrorCode.UNAUTHORIZED]);
      expect(source.calls).toBe(2);
    });
  }

  it("a token function that throws fails the attempt with token_failed and is asked again on the retry", async () => {
    const { url } = await startBroker({ authenticate: tokenBroker() });
    let calls = 0;
    const token = async () => {
      calls += 1;
      if (calls === 1) throw new Error("refresh endpoint down");
      return "good";
    };
    const client = connectTo(url, { token, reconnect: FAST_RETRY });
    const failed = nextError(client, ClientErrorCode.TOKEN_FAILED);
    await client.ready();
    expect((await failed).message).toContain("refresh endpoint down");
    expect(calls).toBe(2);
  });

  it("rejects a token no header can carry at connect()", () => {
    expect(() => connectTo("ws://127.0.0.1:1/ws", { token: "two\nlines" })).toThrow(TypeError);
    expect(() => connectTo("ws://127.0.0.1:1/ws", { token: "" })).toThrow(TypeError);
  });
});

describe("client token over tcp:// (the auth frame as the first line)", () => {
  it("authenticates first; frames queued before open follow in order; the auth answer never reaches the app", async () => {
    const { broker, tcpUrl } = await startAuthBroker({ authenticate: tokenBroker() });
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const arrived = collect(broker, "step", 3);
    const client = connectTo<{ step: number; auth: unknown }>(tcpUrl, { token: "good" });
    let authEvents = 0;
    client.on("auth", () => {
      authEvents += 1;
    });
    // Queued while connecting: the broker would refuse any of them as the first line.
    client.send("step", 1);
    client.send("step", 2);
    client.send("step", 3);
    expect(client.queued).toBe(3);
    const [handle] = await connected;
    expect(handle.transport).toBe("tcp");
    expect(handle.data).toEqual({ user: "ada" });
    expect(await arrived).toEqual([1, 2, 3]);
    expect(authEvents).toBe(0);
    expect(client.pump()).toEqual([]);
  });

  it("a refused token: unauthorized error, close 1008, no retry with the same token", async () => {
    const seen: AuthRequest[] = [];
    const { broker, tcpUrl } = await startAuthBroker({ authenticate: tokenBroker(seen) });
    let connects = 0;
    broker.on("connect", () => {
      connects += 1;
    });
    const client = connectTo(tcpUrl, { token: "stolen" });
    const closed = once(client, "close");
    const refused = await nextError(client, ClientErrorCode.UNAUTHORIZED);
    expect(refused.message).toContain("refused the token");
    expect(await closed).toMatchObject({ code: 1008 });
    expect((await rejection(client.ready())).code).toBe(ClientErrorCode.UNAUTHORIZED);
    expect(client.state).toBe("closed");
    expect(seen).toHaveLength(1);
    expect(connects).toBe(0);
  });

  it("fails the attempt when the broker never answers the auth frame (no authenticate there)", async () => {
    const { tcpUrl } = await startAuthBroker({});
    const client = connectTo(tcpUrl, { token: "good", reconnect: false, requestTimeout: 100 });
    const failed = await nextError(client, ClientErrorCode.CONNECT_FAILED);
    expect(failed.message).toContain("no answer to the auth frame");
    expect((await rejection(client.ready())).code).toBe(ClientErrorCode.CONNECT_FAILED);
  });
});

/** How each transport and protocol names the event the renewal tests send. */
const renewals = [
  { name: "WebSocket, json", tcp: false, protocol: "json", event: "during", heard: "during" },
  {
    name: "WebSocket, separator",
    tcp: false,
    protocol: "separator",
    event: "during",
    heard: "#during",
  },
  { name: "tcp://", tcp: true, protocol: "json", event: "during", heard: "during" },
] as const;

describe("client renewal on auth_expired", () => {
  for (const { name, tcp, protocol, event, heard } of renewals) {
    it(`${name}: calls the token function, sends the auth frame, holds frames meanwhile and resumes`, async () => {
      const { broker, url, tcpUrl } = await startAuthBroker({
        authenticate: tokenBroker(),
        ...(protocol === "separator" ? { protocol: separator("|") } : {}),
      });
      const connected = nextEvent<[ClientHandle]>(broker, "connect");
      const source = tokensInTurn("short", "fresh");
      const client = connectTo(tcp ? tcpUrl : url, { token: source.next, protocol });
      const codes = errorCodes(client);
      const [handle] = await connected;
      expect(handle.data).toEqual({ user: "sam", token: "short" });

      const heardDuring = collect(broker, heard, 1);
      const renewing = once(client, "reauthenticating").then(() => {
        // Sent while the broker refuses everything but auth frames: held, then sent in order.
        client.send(event, ["held"]);
        return client.queued;
      });
      await once(client, "reauthenticated");
      expect(await renewing).toBe(1);
      expect(await heardDuring).toEqual([["held"]]);
      expect(source.calls).toBe(2);
      // The fresh answer's fields are merged into client.data.
      expect(handle.data).toEqual({ user: "sam", token: "fresh" });
      expect(codes).toEqual([]);
      expect(client.state).toBe("open");
    });
  }

  it("without a token option: auth_expired is an error event, then the broker closes with 1008", async () => {
    // Anyone is admitted, for 150 ms: there is nothing the client could renew with.
    const { url } = await startBroker({
      authenticate: () => withExpiry({}, Date.now() + 150),
      authGrace: 100,
    });
    const client = connectTo(url, { reconnect: false });
    await client.ready();
    const closed = once(client, "close");
    const expired = await nextError(client, ClientErrorCode.AUTH_EXPIRED);
    expect(expired.message).toContain("no token option");
    expect(await closed).toEqual({ code: 1008, reason: "auth expired" });
  });

  it("a refused renewal is an unauthorized error, then close 1008 when the grace runs out", async () => {
    const { url } = await startBroker({ authenticate: tokenBroker(), authGrace: 100 });
    const source = tokensInTurn("short", "revoked");
    const client = connectTo(url, { token: source.next, reconnect: false });
    await client.ready();
    const closed = once(client, "close");
    const renewing = once(client, "reauthenticating");
    const refused = await nextError(client, ClientErrorCode.UNAUTHORIZED);
    await renewing;
    expect(refused.message).toContain("refused the renewed token");
    expect(await closed).toEqual({ code: 1008, reason: "auth expired" });
    expect(source.calls).toBe(2);
  });
});
