/**
 * Review 2 (client token renewal): each test here fails on the code it was written against and
 * names the bug it pins. See /tmp/notes/review2.md.
 */
import { describe, expect, it } from "vitest";
import { ClientErrorCode } from "../../src/client/index.js";
import { type AuthRequest, type ClientHandle, json, withExpiry } from "../../src/index.js";
import { collect, connectTo, errorCodes, nextError, once } from "../client/client-helpers.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";

/** `short` expires 150 ms after it is checked (the only timed step); `fresh` lasts an hour. */
function tokenOf(request: AuthRequest): string {
  return (request.headers.authorization ?? "").replace(/^Bearer /, "");
}

/** A token function returning `tokens` in turn (the last one from then on). */
function tokensInTurn(...tokens: string[]) {
  let calls = 0;
  return () => tokens[Math.min(calls++, tokens.length - 1)] ?? "";
}

describe("review2: client renewal", () => {
  it("frames queued during a renewal go out before what a reauthenticated listener sends", async () => {
    const { broker, url } = await startBroker({
      protocol: json(),
      authenticate: (request) => {
        const token = tokenOf(request);
        if (token === "short") return withExpiry({}, Date.now() + 150);
        return token === "fresh" ? withExpiry({}, Date.now() + 3_600_000) : false;
      },
    });
    const client = connectTo(url, { token: tokensInTurn("short", "fresh") });
    const heard = collect(broker, "order", 2);
    // Queued while the broker refuses everything but the auth frame.
    client.on("reauthenticating", () => client.send("order", "queued during renewal"));
    // Sent once the renewal is accepted: the application made it after the queued one.
    client.on("reauthenticated", () => client.send("order", "sent on reauthenticated"));
    await once(client, "reauthenticated");
    expect(await heard).toEqual(["queued during renewal", "sent on reauthenticated"]);
  });

  it("an application event named auth is not taken for the broker's answer to a renewal", async () => {
    // The renewal's authenticate waits until the test lets it answer.
    let answerRenewal: () => void = () => {};
    const gate = new Promise<void>((release) => {
      answerRenewal = release;
    });
    let asked: () => void = () => {};
    const renewalAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const { broker, url } = await startBroker({
      protocol: json(),
      authenticate: async (request) => {
        const token = tokenOf(request);
        if (token === "short") return withExpiry({}, Date.now() + 150);
        if (token !== "fresh") return false;
        asked();
        await gate;
        return withExpiry({}, Date.now() + 3_600_000);
      },
    });
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const client = connectTo(url, { token: tokensInTurn("short", "fresh") });
    const codes = errorCodes(client);
    const [handle] = await connected;
    client.on("reauthenticating", () => client.send("during", "held"));
    const heardDuring = collect(broker, "during", 1);
    const appAuth: unknown[] = [];
    client.on("auth" as never, (data: never) => appAuth.push(data));
    const marker = new Promise<void>((seen) => client.on("marker" as never, () => seen()));
    await renewalAsked;
    // The application's own `auth` event (the README tells apps to use that name for
    // renewing early), then a marker: once the marker is in, the `auth` event was read.
    broker.emit(handle.id, "auth", { ok: true, app: "mine" });
    broker.emit(handle.id, "marker", null);
    await marker;
    answerRenewal();
    // The held frame reaches the broker (and is not refused) once the renewal is accepted.
    const outcome = await Promise.race([
      heardDuring.then((data) => ({ heard: data })),
      nextError(client, ClientErrorCode.AUTH_EXPIRED).then((error) => ({ refused: error.message })),
    ]);
    expect(outcome).toEqual({ heard: ["held"] });
    // The application's event reaches its listener; the broker's answer is the client's own.
    expect(appAuth).toEqual([{ ok: true, app: "mine" }]);
    expect(codes).not.toContain(ClientErrorCode.AUTH_EXPIRED);
  });

  it("a token whose credentials are already expired is refused, not renewed in a loop", async () => {
    let checks = 0;
    const { url } = await startBroker({
      protocol: json(),
      // A signed token past its `exp`: the application maps the claim with withExpiry.
      authenticate: () => {
        checks += 1;
        return withExpiry({}, Date.now() - 60_000);
      },
    });
    const client = connectTo(url, { token: "stale", reconnect: false });
    client.on("error", () => {});
    let renewals = 0;
    const outcome = await new Promise<string>((settle) => {
      client.on("reauthenticated", () => {
        renewals += 1;
        if (renewals === 5) settle("renewed 5 times, each expired at once");
      });
      client.on("error", (error) => {
        if (error.code === ClientErrorCode.UNAUTHORIZED) settle("refused");
      });
      client.on("close", () => settle("closed"));
    });
    expect(outcome).toBe("refused");
    expect(checks).toBeLessThan(5);
  });

  it("close() while a tcp:// auth answer is on its way: the client stays closed", async () => {
    let admit: () => void = () => {};
    const gate = new Promise<void>((release) => {
      admit = release;
    });
    let asked: () => void = () => {};
    const authenticating = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const { broker } = await startBroker({
      tcp: { port: 0 },
      authenticate: async () => {
        asked();
        await gate;
        return {};
      },
    });
    const tcpPort = (await broker.listen()).tcp?.port;
    const client = connectTo(`tcp://127.0.0.1:${tcpPort}`, { token: "good", reconnect: false });
    client.on("error", () => {});
    const events: string[] = [];
    client.on("open", () => events.push("open"));
    client.on("close", () => events.push("close"));
    await authenticating;
    // The broker admits the connection as the application closes the client.
    admit();
    await client.close();
    // Whatever the broker answered meanwhile, a closed client never opens.
    expect(client.state).toBe("closed");
    expect(events).toEqual(["close"]);
  });

  it("a token function that never settles fails the attempt, and the next attempt connects", async () => {
    const { url } = await startBroker({
      protocol: json(),
      authenticate: (request) => (tokenOf(request) === "good" ? {} : false),
    });
    let calls = 0;
    const token = () => {
      calls += 1;
      // The first call hangs (a token endpoint that never answers); later ones answer.
      return calls === 1 ? new Promise<string>(() => {}) : "good";
    };
    const client = connectTo(url, {
      token,
      requestTimeout: 300,
      reconnect: { min: 0, max: 0, factor: 1 },
    });
    const codes = errorCodes(client);
    const outcome = await Promise.race([
      client.ready().then(() => "open"),
      // Generous next to requestTimeout: the attempt is still waiting for the token.
      new Promise<string>((settle) => setTimeout(() => settle("still connecting"), 3_000)),
    ]);
    expect(outcome).toBe("open");
    expect(codes).toContain(ClientErrorCode.TOKEN_FAILED);
  });
});
