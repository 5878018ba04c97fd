/**
 * `client.renew()`: renewing credentials before the broker's `withExpiry` runs out, sharing one
 * auth frame with concurrent calls and with the renewal `auth_expired` starts, and what happens to
 * a request that reaches the broker just after its credentials expired.
 *
 * Only expiry instants are timed; every test waits for the event, frame or promise they cause.
 */

import { describe, expect, it } from "vitest";
import type { InspectionEvent } from "xstate";
import { ClientErrorCode } from "../../src/client/index.js";
import {
  type AuthRequest,
  type Broker,
  type BrokerOptions,
  type ClientHandle,
  separator,
  withExpiry,
} from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { collect, connectTo, errorCodes, once, rejection } from "./client-helpers.js";

/** Holds `authenticate` on a `slow` token until the test opens it. */
interface Gate {
  /** Resolves once `authenticate` has been asked about a `slow` token. */
  readonly asked: Promise<void>;
  /** Called by `authenticate` when asked. */
  readonly ask: () => void;
  /** Resolves once the test lets `authenticate` answer. */
  readonly opened: Promise<void>;
  readonly open: () => void;
}

function gate(): Gate {
  let ask: () => void = () => {};
  let open: () => void = () => {};
  const asked = new Promise<void>((resolve) => {
    ask = resolve;
  });
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { asked, ask, opened, open };
}

/**
 * `short` expires 200 ms after it is checked and `medium` after 1 s; `fresh` lasts an hour;
 * `slow` waits for `slowGate` to open, then lasts an hour; anything else is refused. Every token
 * checked is recorded in `checked`.
 */
function tokenBroker(checked: string[], slowGate?: Gate) {
  return async (request: AuthRequest) => {
    const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
    checked.push(token);
    if (token === "short") return withExpiry({ user: "sam", token }, Date.now() + 200);
    if (token === "medium") return withExpiry({ user: "sam", token }, Date.now() + 1_000);
    if (token === "fresh") return withExpiry({ token }, Date.now() + 3_600_000);
    if (token === "slow" && slowGate) {
      slowGate.ask();
      await slowGate.opened;
      return withExpiry({ token }, Date.now() + 3_600_000);
    }
    return false;
  };
}

/** A token function returning `tokens` in turn (the last one from then on), counting its calls. */
function tokensInTurn(...tokens: string[]) {
  const source = {
    calls: 0,
    next: () => tokens[Math.min(source.calls++, tokens.length - 1)] ?? "",
  };
  return source;
}

/** A broker with both endpoints: the WebSocket URL and the tcp:// one. */
async function startAuthBroker(options: BrokerOptions) {
  const started = await startBroker({ tcp: { port: 0 }, ...options });
  const tcpPort = (await started.broker.listen()).tcp?.port;
  if (tcpPort === undefined) throw new Error("the broker did not open its TCP endpoint");
  return { ...started, tcpUrl: `tcp://127.0.0.1:${tcpPort}` };
}

function stateOf(broker: Broker, id: string): string | undefined {
  return broker.inspect().connections.find((connection) => connection.id === id)?.state;
}

/**
 * An inspection observer calling `onExpired` as a connection actor enters `expired`. Inspection
 * is synchronous: it runs as the broker enters the state, before any client can have read the
 * `auth_expired` frame the broker just wrote.
 */
function watchExpiry(onExpired: () => void) {
  return (event: InspectionEvent) => {
    if (event.type !== "@xstate.snapshot") return;
    if ((event.snapshot as { value?: unknown }).value === "expired") onExpired();
  };
}

/** Records the renewal lifecycle events of a client, in order. */
function lifecycleOf(client: {
  on(type: "reauthenticating" | "reauthenticated", listener: () => void): unknown;
}): string[] {
  const seen: string[] = [];
  client.on("reauthenticating", () => seen.push("reauthenticating"));
  client.on("reauthenticated", () => seen.push("reauthenticated"));
  return seen;
}

const transports = [
  { name: "WebSocket, json", tcp: false, protocol: "json", heard: "after" },
  { name: "WebSocket, separator", tcp: false, protocol: "separator", heard: "#after" },
  { name: "tcp://", tcp: true, protocol: "json", heard: "after" },
] as const;

describe("client.renew(): early renewal", () => {
  for (const { name, tcp, protocol, heard } of transports) {
    it(`${name}: sends one auth frame, resolves on the broker's answer, and the old expiry no longer applies`, async () => {
      const checked: string[] = [];
      const { broker, url, tcpUrl } = await startAuthBroker({
        authenticate: tokenBroker(checked),
        ...(protocol === "separator" ? { protocol: separator("|") } : {}),
      });
      const connected = nextEvent<[ClientHandle]>(broker, "connect");
      const source = tokensInTurn("short", "fresh");
      const client = connectTo(tcp ? tcpUrl : url, { token: source.next, protocol });
      const codes = errorCodes(client);
      const lifecycle = lifecycleOf(client);
      const [handle] = await connected;
      await client.ready();

      await client.renew();
      expect(handle.data).toEqual({ user: "sam", token: "fresh" });
      expect(lifecycle).toEqual(["reauthenticating", "reauthenticated"]);

      // A witness checked later with the same short token: once it has expired, the client's
      // original expiry has passed too (the broker's timers fire in deadline order).
      const witness = connectTo(url, { token: "short" });
      await once(witness, "reauthenticating");
      expect(stateOf(broker, handle.id)).toMatch(/^open/);
      const heardAfter = collect(broker, heard, 1);
      client.send("after", ["still open"]);
      expect(await heardAfter).toEqual([["still open"]]);
      expect(lifecycle).toEqual(["reauthenticating", "reauthenticated"]);
      expect(codes).toEqual([]);
      expect(source.calls).toBe(2);
    });
  }

  it("a refused renewal rejects with unauthorized; the broker keeps the current credentials until they expire", async () => {
    const checked: string[] = [];
    const { url } = await startAuthBroker({ authenticate: tokenBroker(checked), authGrace: 100 });
    const source = tokensInTurn("medium", "revoked");
    const client = connectTo(url, { token: source.next, reconnect: false });
    const codes = errorCodes(client);
    await client.ready();
    const closed = once(client, "close");

    const refused = await rejection(client.renew());
    expect(refused.code).toBe(ClientErrorCode.UNAUTHORIZED);
    expect(refused.message).toContain("refused the renewed token");
    expect(refused.message).toContain("current credentials stand");
    // The refusal is the promise's to report: no error event for it.
    expect(codes).toEqual([]);
    expect(client.state).toBe("open");

    // As the broker decides: the old credentials run out on time, the renewal the client then
    // starts by itself is refused too, and the grace ends the connection.
    expect(await closed).toEqual({ code: 1008, reason: "auth expired" });
    expect(codes).toEqual([ClientErrorCode.UNAUTHORIZED]);
    expect(checked).toEqual(["medium", "revoked", "revoked"]);
  });

  it("rejects with no_token without a token option, not_open while connecting, closed after close()", async () => {
    const checked: string[] = [];
    const { url } = await startBroker({
      authenticate: (request) => {
        checked.push(request.headers.authorization ?? "");
        return {};
      },
    });
    const tokenless = connectTo(url);
    await tokenless.ready();
    const noToken = await rejection(tokenless.renew());
    expect(noToken.code).toBe(ClientErrorCode.NO_TOKEN);
    expect(noToken.message).toContain("no token option");
    expect(checked).toEqual([""]);

    const connecting = connectTo(url, { token: "good" });
    expect((await rejection(connecting.renew())).code).toBe(ClientErrorCode.NOT_OPEN);

    await tokenless.close();
    expect((await rejection(tokenless.renew())).code).toBe(ClientErrorCode.CLOSED);
  });

  it("close() while a renewal waits for the broker rejects it with closed", async () => {
    const slow = gate();
    const { url } = await startAuthBroker({ authenticate: tokenBroker([], slow) });
    const client = connectTo(url, { token: tokensInTurn("fresh", "slow").next });
    await client.ready();
    const renewing = client.renew();
    await slow.asked;
    await client.close();
    expect((await rejection(renewing)).code).toBe(ClientErrorCode.CLOSED);
    slow.open();
  });

  it("rejects with timeout when the broker does not answer within requestTimeout; frames keep flowing", async () => {
    const slow = gate();
    const { broker, url } = await startAuthBroker({ authenticate: tokenBroker([], slow) });
    const client = connectTo(url, {
      token: tokensInTurn("fresh", "slow").next,
      requestTimeout: 300,
    });
    const codes = errorCodes(client);
    await client.ready();
    const timedOut = await rejection(client.renew());
    expect(timedOut.code).toBe(ClientErrorCode.TIMEOUT);
    expect(timedOut.message).toContain("300 ms");
    // Nothing was held: the broker still accepts the current credentials.
    const heard = collect(broker, "after", 1);
    client.send("after", "sent");
    expect(await heard).toEqual(["sent"]);
    expect(codes).toEqual([]);
    slow.open();
  });
});

describe("client.renew(): one renewal at a time", () => {
  for (const tcp of [false, true]) {
    it(`concurrent calls share one auth frame (${tcp ? "tcp://" : "WebSocket"})`, async () => {
      const checked: string[] = [];
      const { url, tcpUrl } = await startAuthBroker({ authenticate: tokenBroker(checked) });
      const source = tokensInTurn("fresh");
      const client = connectTo(tcp ? tcpUrl : url, { token: source.next });
      const lifecycle = lifecycleOf(client);
      await client.ready();

      await Promise.all([client.renew(), client.renew(), client.renew()]);
      expect(checked).toEqual(["fresh", "fresh"]);
      expect(source.calls).toBe(2);
      expect(lifecycle).toEqual(["reauthenticating", "reauthenticated"]);
      // Once settled, the next call is a new renewal.
      await client.renew();
      expect(checked).toEqual(["fresh", "fresh", "fresh"]);
    });
  }

  it("renew() during the renewal auth_expired started joins it", async () => {
    const checked: string[] = [];
    const { url } = await startAuthBroker({ authenticate: tokenBroker(checked) });
    const source = tokensInTurn("short", "fresh");
    const client = connectTo(url, { token: source.next });
    const codes = errorCodes(client);
    let joined: Promise<void> | undefined;
    client.on("reauthenticating", () => {
      joined ??= client.renew();
    });
    const renewed = once(client, "reauthenticated");
    await client.ready();
    await renewed;
    await joined;
    expect(checked).toEqual(["short", "fresh"]);
    expect(source.calls).toBe(2);
    expect(codes).toEqual([]);
  });

  it("an expiry while renew() waits for the broker starts no second renewal", async () => {
    const checked: string[] = [];
    const slow = gate();
    let brokerExpired: () => void = () => {};
    const expiredOnBroker = new Promise<void>((resolve) => {
      brokerExpired = resolve;
    });
    const { broker, url } = await startAuthBroker({
      authenticate: tokenBroker(checked, slow),
      inspect: watchExpiry(() => brokerExpired()),
    });
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const source = tokensInTurn("short", "slow", "fresh");
    const client = connectTo(url, { token: source.next });
    const codes = errorCodes(client);
    const lifecycle = lifecycleOf(client);
    const [handle] = await connected;
    await client.ready();

    const renewing = client.renew();
    await slow.asked;
    // The short credentials run out while authenticate considers the new token.
    await expiredOnBroker;
    // Frames reach the client in order: once the marker is in, so is the auth_expired before it.
    const marker = new Promise<void>((seen) => client.on("marker" as never, () => seen()));
    broker.emit(handle.id, "marker", null);
    await marker;
    expect(client.queued).toBe(0);
    client.send("held", "while expired");
    expect(client.queued).toBe(1);
    const heard = collect(broker, "held", 1);
    slow.open();
    await renewing;

    expect(await heard).toEqual(["while expired"]);
    expect(checked).toEqual(["short", "slow"]);
    expect(source.calls).toBe(2);
    expect(lifecycle).toEqual(["reauthenticating", "reauthenticated"]);
    expect(codes).toEqual([]);
    expect(stateOf(broker, handle.id)).toMatch(/^open/);
  });
});

describe("a request that reaches the broker just after its credentials expired", () => {
  for (const tcp of [false, true]) {
    it(`is rejected at once with auth_expired, unhandled; sent again, it waits for the renewal (${tcp ? "tcp://" : "WebSocket"})`, async () => {
      let fire: () => void = () => {};
      const { broker, url, tcpUrl } = await startAuthBroker({
        authenticate: tokenBroker([]),
        inspect: watchExpiry(() => fire()),
      });
      const handled: unknown[] = [];
      broker.on("echo", (_client, data) => {
        handled.push(data);
        return data;
      });
      const client = connectTo(tcp ? tcpUrl : url, {
        token: tokensInTurn("short", "fresh").next,
        requestTimeout: 5_000,
      });
      const codes = errorCodes(client);
      await client.ready();
      // Sent as the broker enters `expired`: the client has not read auth_expired yet, so the
      // request goes straight onto the wire and reaches a broker that refuses it.
      const late = await new Promise<{ request: Promise<unknown> }>((resolve) => {
        fire = () => {
          fire = () => {};
          resolve({ request: client.request("echo", "late") });
        };
      });
      const refused = await rejection(late.request);
      expect(refused.code).toBe(ClientErrorCode.AUTH_EXPIRED);
      expect(refused.message).toContain("unhandled");
      // The application sends it again: held until the renewal is accepted, then answered.
      expect(await client.request("echo", "again")).toBe("again");
      expect(handled).toEqual(["again"]);
      expect(codes).toEqual([]);
    });
  }
});
