import { describe, expect, it } from "vitest";
import {
  type BrokerError,
  type ClientHandle,
  createBroker,
  ErrorCode,
  json,
} from "../../src/index.js";
import { settle, trapCrashes } from "../helpers/crash-trap.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

const unhandled = trapCrashes();

describe("faults", () => {
  it("reports a throwing handler as an error event and keeps the client connected", async () => {
    const { broker, url } = await startBroker();
    broker.on("#boom", () => {
      throw new Error("kaboom");
    });
    broker.on("#echo", (client, data) => client.send(data));
    const reported = nextEvent<[ClientHandle | undefined, BrokerError]>(broker, "error");
    const client = await connectClient(url);
    client.send("#boom");
    const [who, error] = await reported;
    expect(who?.transport).toBe("websocket");
    expect(error.code).toBe(ErrorCode.HANDLER_FAILED);
    expect(error.message).toContain("kaboom");
    expect((error.cause as Error).message).toBe("kaboom");
    client.send("#echo|still|alive");
    expect(await client.next()).toBe('["still","alive"]');
    await settle();
    expect(unhandled).toEqual([]);
  });

  it("reports a rejecting async handler and never leaves an unhandled rejection", async () => {
    const { broker, url } = await startBroker();
    broker.on("#later", async () => {
      throw new Error("async kaboom");
    });
    const reported = nextEvent<[ClientHandle | undefined, BrokerError]>(broker, "error");
    const client = await connectClient(url);
    client.send("#later");
    const [, error] = await reported;
    expect(error.message).toContain("async kaboom");
    await settle();
    expect(unhandled).toEqual([]);
  });

  it("survives throwing connect, disconnect and error listeners", async () => {
    const { broker, url } = await startBroker();
    broker.on("connect", () => {
      throw new Error("connect failed");
    });
    broker.on("error", () => {
      throw new Error("error listener failed too");
    });
    const disconnected = nextEvent(broker, "disconnect");
    broker.on("disconnect", () => {
      throw new Error("disconnect failed");
    });
    const client = await connectClient(url);
    client.close();
    await disconnected;
    const again = await connectClient(url);
    expect(again.socket.readyState).toBe(again.socket.OPEN);
    await settle();
    expect(unhandled).toEqual([]);
  });

  it("reports a throwing timer callback and keeps the interval running", async () => {
    const { broker } = await startBroker();
    let calls = 0;
    const errors: BrokerError[] = [];
    broker.on("error", (_client, error) => {
      errors.push(error);
    });
    const twice = new Promise<void>((resolve) => {
      broker.setInterval(() => {
        calls += 1;
        if (calls === 2) resolve();
        throw new Error(`tick ${calls}`);
      }, 5);
    });
    await twice;
    expect(errors.map((error) => error.code)).toEqual([
      ErrorCode.HANDLER_FAILED,
      ErrorCode.HANDLER_FAILED,
    ]);
    expect(errors[0]?.message).toContain("tick 1");
  });

  it("returns false when whispering or emitting to an unknown id", async () => {
    const { broker } = await startBroker();
    expect(broker.whisper("nobody", "hello")).toBe(false);
    expect(broker.emit("nobody", "#event", [1])).toBe(false);
    expect(broker.join("nobody", "room")).toBe(false);
    expect(broker.leave("nobody", "room")).toBe(false);
  });

  it("reports a payload that cannot be encoded and keeps delivering", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    const client = await connectClient(url);
    const reported = nextEvent<[unknown, BrokerError]>(broker, "error");
    broker.broadcast({ big: 1n });
    expect((await reported)[1].code).toBe(ErrorCode.ENCODE_FAILED);
    broker.broadcast({ type: "ok" });
    expect(await client.nextJson()).toEqual({ type: "ok" });
  });

  it("disconnects a peer that stops answering pings with 1006 within interval + timeout", async () => {
    const { broker, url } = await startBroker({ heartbeatInterval: 40, heartbeatTimeout: 40 });
    const silent = await connectClient(url, { autoPong: false });
    const lively = await connectClient(url);
    const [client, info] = await nextEvent<[ClientHandle, { code: number; reason: string }]>(
      broker,
      "disconnect",
    );
    expect(info).toEqual({ code: 1006, reason: "heartbeat timeout" });
    expect(broker.clients.has(client.id)).toBe(false);
    // The lively client answered its pings and is still here.
    expect(broker.clients.size).toBe(1);
    expect(lively.socket.readyState).toBe(lively.socket.OPEN);
    await silent.closed;
  });
});

describe("close()", () => {
  it("delivers queued frames, closes every client with 1001 and fires disconnect for each", async () => {
    const broker = createBroker({ port: 0 });
    const { url } = await broker.listen();
    const first = await connectClient(url);
    const second = await connectClient(url);
    const disconnects: number[] = [];
    broker.on("disconnect", (_client, info) => {
      disconnects.push(info.code);
    });
    for (let index = 0; index < 100; index += 1) broker.broadcast(`frame ${index}`);
    await broker.close();
    for (const client of [first, second]) {
      expect((await client.closed).code).toBe(1001);
      expect(client.pending).toHaveLength(100);
      expect(client.pending.at(-1)).toBe("frame 99");
    }
    expect(disconnects).toEqual([1001, 1001]);
    expect(broker.clients.size).toBe(0);
  });

  it("frees the port so a new broker can listen on it", async () => {
    const broker = createBroker({ port: 0 });
    const { port } = await broker.listen();
    const client = await connectClient(`ws://127.0.0.1:${port}/ws`);
    await broker.close();
    await client.closed;
    const again = createBroker({ port });
    const address = await again.listen();
    expect(address.port).toBe(port);
    await again.close();
  });

  it("stops timers and refuses listen() afterwards", async () => {
    const broker = createBroker({ port: 0 });
    await broker.listen();
    let ticks = 0;
    broker.setInterval(() => {
      ticks += 1;
    }, 1);
    await broker.close();
    const seen = ticks;
    // A 1 ms interval of our own ticks five times: the broker's would have ticked meanwhile.
    await new Promise<void>((resolve) => {
      let own = 0;
      const handle = setInterval(() => {
        own += 1;
        if (own === 5) {
          clearInterval(handle);
          resolve();
        }
      }, 1);
    });
    expect(ticks).toBe(seen);
    expect(broker.inspect().supervisor.timers).toEqual([]);
    await expect(broker.listen()).rejects.toMatchObject({ code: ErrorCode.INVALID_STATE });
  });

  it("makes every call after it a quiet no-op (no xstate 'sent to stopped actor' warning)", async () => {
    const broker = createBroker({ port: 0 });
    await broker.listen();
    await broker.close();
    const warnings: unknown[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      broker.broadcast("late");
      broker.broadcast("late", { room: "r" });
      expect(broker.whisper("ghost", "late")).toBe(false);
      broker.clearTimeout(broker.setTimeout(() => {}, 1));
      broker.clearInterval(broker.setInterval(() => {}, 1));
    } finally {
      console.warn = original;
    }
    expect(warnings).toEqual([]);
  });
});
