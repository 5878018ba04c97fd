/**
 * A handler that throws, or returns a promise that rejects, in any position the application can
 * put code: each failure is one `error` event (`SB_ERR_HANDLER_FAILED`, saying where), the
 * process keeps running, and every other client keeps receiving.
 */
import { describe, expect, it } from "vitest";
import {
  type Broker,
  type BrokerError,
  type ClientHandle,
  ErrorCode,
  json,
} from "../../src/index.js";
import { settle, trapCrashes } from "../helpers/crash-trap.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient, type TestClient } from "../helpers/test-client.js";
import { probe, upgradeStatus } from "../security/http-probe.js";

const unhandled = trapCrashes();

/** How a handler fails: by throwing, or by returning a promise that rejects. */
const FAILURES = {
  throws: (label: string) => () => {
    throw new Error(label);
  },
  rejects: (label: string) => async () => {
    await Promise.resolve();
    throw new Error(label);
  },
} as const;
type Failure = keyof typeof FAILURES;

/** What a position's test has to work with. */
interface Stage {
  readonly broker: Broker;
  readonly url: string;
  /** Connected before the failing handler was added; must keep receiving throughout. */
  readonly bystander: TestClient;
}

/** One place the application puts code, how to make it run, and how its failure is named. */
interface Position {
  readonly name: string;
  /** Adds `handler` in this position. */
  arm(stage: Stage, handler: () => unknown): void;
  /** Makes the handler run; resolves with the client it runs for, if any. */
  trigger(stage: Stage): Promise<TestClient | undefined>;
  /** The `where` of `Handler failed (<where>): …`. */
  readonly where: RegExp;
  /** Whether the error event names the client the handler ran for. */
  readonly forClient: boolean;
}

const connectAndSend = async ({ url }: Stage, frame: string) => {
  const client = await connectClient(url);
  client.send(frame);
  return client;
};

const POSITIONS: readonly Position[] = [
  {
    name: "connect listener",
    arm: ({ broker }, handler) => broker.on("connect", handler),
    trigger: ({ url }) => connectClient(url),
    where: /^connect$/,
    forClient: true,
  },
  {
    name: "message listener",
    arm: ({ broker }, handler) => broker.on("message", handler),
    trigger: (stage) => connectAndSend(stage, "plain text"),
    where: /^message$/,
    forClient: true,
  },
  {
    name: "custom event listener",
    arm: ({ broker }, handler) => broker.on("#boom", handler),
    trigger: (stage) => connectAndSend(stage, "#boom|now"),
    where: /^#boom$/,
    forClient: true,
  },
  {
    name: "controller method",
    arm: ({ broker }, handler) => broker.use({ boom: handler }),
    trigger: (stage) => connectAndSend(stage, "#boom|now"),
    where: /^#boom$/,
    forClient: true,
  },
  {
    name: "disconnect listener",
    arm: ({ broker }, handler) => broker.on("disconnect", handler),
    trigger: async ({ url }) => {
      const client = await connectClient(url);
      client.close();
      await client.closed;
      return undefined;
    },
    where: /^disconnect$/,
    forClient: true,
  },
  {
    name: "setInterval callback",
    arm: ({ broker }, handler) => {
      broker.setInterval(handler, 5);
    },
    trigger: async () => undefined,
    where: /^interval interval-\d+$/,
    forClient: false,
  },
  {
    name: "setTimeout callback",
    arm: ({ broker }, handler) => {
      broker.setTimeout(handler, 5);
    },
    trigger: async () => undefined,
    where: /^timeout timeout-\d+$/,
    forClient: false,
  },
];

const CASES = POSITIONS.flatMap((position) =>
  (Object.keys(FAILURES) as Failure[]).map((failure) => ({ position, failure })),
);

describe("throwing and rejecting handlers", () => {
  it.each(CASES.map((entry) => [entry.position.name, entry.failure, entry] as const))(
    "a %s that %s is one error event; the process and the other clients carry on",
    async (_name, failure, { position }) => {
      const { broker, url } = await startBroker();
      // Its connect event must be over before the one the position waits for is awaited.
      const bystanderConnected = nextEvent(broker, "connect");
      const bystander = await connectClient(url);
      await bystanderConnected;
      const stage: Stage = { broker, url, bystander };
      const label = `${position.name} ${failure}`;
      const errors: Array<[ClientHandle | undefined, BrokerError]> = [];
      const reported = new Promise<void>((resolve) => {
        broker.on("error", (client, error) => {
          errors.push([client, error]);
          resolve();
        });
      });
      const connected = nextEvent<[ClientHandle]>(broker, "connect");
      position.arm(stage, FAILURES[failure](label));

      const actor = await position.trigger(stage);
      await reported;
      const first = errors[0];
      if (!first) throw new Error("no error event");
      const [client, error] = first;
      expect(error.code).toBe(ErrorCode.HANDLER_FAILED);
      const where = /^Handler failed \((.*)\): (.*)$/.exec(error.message);
      expect(where?.[1]).toMatch(position.where);
      expect(where?.[2]).toBe(label);
      expect((error.cause as Error).message).toBe(label);
      if (position.forClient) {
        // The error names the client the handler ran for (not the bystander).
        const [actorHandle] = await connected;
        expect(client?.id).toBe(actorHandle.id);
      } else {
        expect(client).toBeUndefined();
      }

      // Still serving: the bystander and the client the handler failed for both get this.
      broker.broadcast("after the failure");
      expect(await bystander.next()).toBe("after the failure");
      if (actor) expect(await actor.next()).toBe("after the failure");
      await settle();
      expect(unhandled).toEqual([]);
    },
  );

  it("keeps an interval running after its callback rejected", async () => {
    const { broker } = await startBroker();
    let calls = 0;
    const errors: string[] = [];
    const twice = new Promise<void>((resolve) => {
      broker.on("error", (_client, error) => {
        errors.push(error.message);
        if (errors.length === 2) resolve();
      });
    });
    const timer = broker.setInterval(async () => {
      calls += 1;
      throw new Error(`tick ${calls}`);
    }, 5);
    await twice;
    broker.clearInterval(timer);
    expect(errors[0]).toMatch(/\): tick 1$/);
    expect(errors[1]).toMatch(/\): tick 2$/);
    await settle();
    expect(unhandled).toEqual([]);
  });

  it("reports what was thrown when it is not an Error: a string, a rejection with undefined", async () => {
    const { broker, url } = await startBroker();
    broker.on("#string", () => {
      throw "plain string";
    });
    broker.on("#nothing", () => Promise.reject(undefined));
    const errors: BrokerError[] = [];
    const both = new Promise<void>((resolve) => {
      broker.on("error", (_client, error) => {
        errors.push(error);
        if (errors.length === 2) resolve();
      });
    });
    const client = await connectClient(url);
    client.send("#string");
    client.send("#nothing");
    await both;
    expect(errors.map((error) => [error.code, error.message, error.cause])).toEqual([
      [ErrorCode.HANDLER_FAILED, "Handler failed (#string): plain string", "plain string"],
      [ErrorCode.HANDLER_FAILED, "Handler failed (#nothing): undefined", undefined],
    ]);
    await settle();
    expect(unhandled).toEqual([]);
  });

  it.each(Object.keys(FAILURES) as Failure[])(
    "answers a JSON request to a controller method that %s with an ack carrying the error",
    async (failure) => {
      const { broker, url } = await startBroker({ protocol: json() });
      broker.on("error", () => {});
      broker.use({ add: FAILURES[failure]("cannot add") });
      const client = await connectClient(url);
      client.send(JSON.stringify({ type: "add", data: [1, 2], id: 7 }));
      expect(await client.nextJson()).toEqual({
        type: "ack",
        id: 7,
        error: { message: "cannot add" },
      });
      await settle();
      expect(unhandled).toEqual([]);
    },
  );

  it.each(Object.keys(FAILURES) as Failure[])(
    "drains on close() even when every disconnect listener %s",
    async (failure) => {
      const { broker, url } = await startBroker();
      const errors: BrokerError[] = [];
      broker.on("error", (_client, error) => {
        errors.push(error);
      });
      broker.on("disconnect", FAILURES[failure]("disconnect during close"));
      const clients = [await connectClient(url), await connectClient(url)];
      await broker.close();
      for (const client of clients) expect((await client.closed).code).toBe(1001);
      await settle();
      expect(errors.map((error) => error.message)).toEqual([
        "Handler failed (disconnect): disconnect during close",
        "Handler failed (disconnect): disconnect during close",
      ]);
      expect(unhandled).toEqual([]);
    },
  );
});

describe("throwing and rejecting admission callbacks", () => {
  // A throwing authenticate on WebSocket and SSE is in test/security/authenticate.test.ts.
  it("answers 500 and reports an error event when authenticate rejects", async () => {
    const { broker, url, port } = await startBroker({
      authenticate: async () => {
        throw new Error("auth backend timed out");
      },
    });
    const errors: Array<[ClientHandle | undefined, BrokerError]> = [];
    broker.on("error", (client, error) => {
      errors.push([client, error]);
    });
    expect(await upgradeStatus(url)).toBe(500);
    expect((await probe(port, "/events/news")).status).toBe(500);
    expect(errors.map(([client, error]) => [client, error.code, error.message])).toEqual([
      [
        undefined,
        ErrorCode.HANDLER_FAILED,
        "Handler failed (authenticate): auth backend timed out",
      ],
      [
        undefined,
        ErrorCode.HANDLER_FAILED,
        "Handler failed (authenticate): auth backend timed out",
      ],
    ]);
    await settle();
    expect(unhandled).toEqual([]);
  });

  it.each(Object.keys(FAILURES) as Failure[])(
    "answers 500 to an SSE subscription and a post when authorize %s, and keeps serving",
    async (failure) => {
      const { broker, url, port } = await startBroker({
        authorize: FAILURES[failure]("policy store down"),
      });
      const errors: BrokerError[] = [];
      broker.on("error", (_client, error) => {
        errors.push(error);
      });
      expect((await probe(port, "/events/news")).status).toBe(500);
      const posted = await probe(port, "/events/news/say", { method: "POST", body: "hi" });
      expect(posted.status).toBe(500);
      expect(errors.map((error) => [error.code, error.message])).toEqual([
        [ErrorCode.HANDLER_FAILED, "Handler failed (authorize): policy store down"],
        [ErrorCode.HANDLER_FAILED, "Handler failed (authorize): policy store down"],
      ]);
      expect(broker.inspect().connections).toHaveLength(0);
      // WebSocket upgrades are not subject to authorize: they keep being served.
      const client = await connectClient(url);
      broker.broadcast("still serving");
      expect(await client.next()).toBe("still serving");
      await settle();
      expect(unhandled).toEqual([]);
    },
  );
});
