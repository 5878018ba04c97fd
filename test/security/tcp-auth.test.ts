import { describe, expect, it } from "vitest";
import { type AuthRequest, type ClientHandle, ServerEvent } from "../../src/index.js";
import { connectLines } from "../helpers/line-client.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";

/** The same check the HTTP transports use: TCP's auth frame arrives as a bearer header. */
function byBearer(request: AuthRequest): { user: string } | false {
  return request.headers.authorization === "Bearer tcp-token" ? { user: "tina" } : false;
}

async function startTcp(options: Parameters<typeof startBroker>[0] = {}) {
  const started = await startBroker({ tcp: { port: 0 }, authenticate: byBearer, ...options });
  const tcpPort = (await started.broker.listen()).tcp?.port;
  if (tcpPort === undefined) throw new Error("no TCP port");
  return { ...started, tcpPort };
}

interface Line {
  readonly type: string;
  readonly data?: {
    readonly code?: string | number;
    readonly ok?: boolean;
    readonly reason?: string;
  };
}

describe("TCP authentication: a first auth frame, with a timeout", () => {
  it("admits a client whose first frame carries an accepted token; its data is client.data and frames sent right after work", async () => {
    const { broker, tcpPort } = await startTcp();
    broker.on("whoami", (client) => (client.data as { user: string }).user);
    const connected = nextEvent<[ClientHandle]>(broker, ServerEvent.CONNECT);
    const client = await connectLines(tcpPort);
    client.send({ type: "auth", data: { token: "tcp-token" } });
    // Pipelined: sent before the answer to the auth frame arrives.
    client.send({ type: "whoami", id: 1 });
    expect(await client.next<Line>()).toEqual({ type: "auth", data: { ok: true } });
    const [handle] = await connected;
    expect(handle.transport).toBe("tcp");
    expect(handle.data).toEqual({ user: "tina" });
    expect(await client.next()).toEqual({ type: "ack", id: 1, data: "tina" });
    client.socket.destroy();
  });

  it("refuses a wrong token with an unauthorized error frame and close 1008; no connection is created", async () => {
    const { broker, tcpPort } = await startTcp();
    let connects = 0;
    broker.on(ServerEvent.CONNECT, () => {
      connects += 1;
    });
    const client = await connectLines(tcpPort);
    client.send({ type: "auth", data: { token: "stolen" } });
    const error = await client.next<Line>();
    expect(error.type).toBe("error");
    expect(error.data?.code).toBe("unauthorized");
    const close = await client.next<Line>();
    expect(close).toMatchObject({ type: "close", data: { code: 1008 } });
    await client.ended;
    expect(connects).toBe(0);
    expect(broker.clients.size).toBe(0);
  });

  it("closes a client that sends no auth frame within authTimeout (1008)", async () => {
    const { tcpPort } = await startTcp({ authTimeout: 100 });
    const client = await connectLines(tcpPort);
    const error = await client.next<Line>();
    expect(error.data?.code).toBe("unauthorized");
    expect(String((error.data as { message?: string }).message)).toContain("100 ms");
    expect(await client.next<Line>()).toMatchObject({ type: "close", data: { code: 1008 } });
    await client.ended;
  });

  it("refuses a first frame that is not an auth frame, never dispatching it", async () => {
    const { broker, tcpPort } = await startTcp();
    let handled = 0;
    broker.on("chat", () => {
      handled += 1;
    });
    const client = await connectLines(tcpPort);
    client.send({ type: "chat", data: "sneaking in" });
    expect((await client.next<Line>()).data?.code).toBe("unauthorized");
    expect(await client.next<Line>()).toMatchObject({ type: "close", data: { code: 1008 } });
    await client.ended;
    expect(handled).toBe(0);
  });

  it("refuses an auth frame with no token or an oversized one without calling authenticate", async () => {
    let calls = 0;
    const { tcpPort } = await startTcp({
      authenticate: (request) => {
        calls += 1;
        return byBearer(request);
      },
    });
    for (const data of [{}, { token: "" }, { token: "x".repeat(8 * 1024 + 1) }, 42]) {
      const client = await connectLines(tcpPort);
      client.send({ type: "auth", data });
      expect((await client.next<Line>()).data?.code).toBe("unauthorized");
      expect(await client.next<Line>()).toMatchObject({ type: "close", data: { code: 1008 } });
      await client.ended;
    }
    expect(calls).toBe(0);
  });

  it("counts a socket still owing its auth frame against maxConnections", async () => {
    const { broker, tcpPort } = await startTcp({ maxConnections: 1 });
    const waiting = await connectLines(tcpPort);
    // The first socket has sent nothing yet: it holds the only slot, so the next is refused.
    const refused = await connectLines(tcpPort);
    expect(await refused.next<Line>()).toMatchObject({ type: "close", data: { code: 1013 } });
    await refused.ended;
    // Once it authenticates, it is the one client.
    const connected = nextEvent<[ClientHandle]>(broker, ServerEvent.CONNECT);
    waiting.send({ type: "auth", data: { token: "tcp-token" } });
    expect(await waiting.next<Line>()).toEqual({ type: "auth", data: { ok: true } });
    await connected;
    expect(broker.clients.size).toBe(1);
    waiting.socket.destroy();
  });

  it("a throwing authenticate refuses the client (internal) and is reported as an error event", async () => {
    const { broker, tcpPort } = await startTcp({
      authenticate: () => {
        throw new Error("token service down");
      },
    });
    const reported = nextEvent<[undefined, Error & { code: string }]>(broker, ServerEvent.ERROR);
    const client = await connectLines(tcpPort);
    client.send({ type: "auth", data: { token: "tcp-token" } });
    expect((await client.next<Line>()).data?.code).toBe("internal");
    const [, error] = await reported;
    expect(error.code).toBe("SB_ERR_HANDLER_FAILED");
    await client.ended;
  });
});
