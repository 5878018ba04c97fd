import { describe, expect, it } from "vitest";
import { BrokerError, ErrorCode, json } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

interface ErrorFrame {
  type: "error";
  data: { code: string; message: string };
}

describe("bad input over a real WebSocket", () => {
  it("answers malformed JSON with a bad_frame error frame and keeps the connection open", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    broker.on("ping", () => "pong");
    const client = await connectClient(url);

    client.send("{not json");
    const error = await client.nextJson<ErrorFrame>();
    expect(error.type).toBe("error");
    expect(error.data.code).toBe("bad_frame");
    expect(error.data.message).toMatch(/not JSON/);

    client.send(JSON.stringify({ data: 1 }));
    expect((await client.nextJson<ErrorFrame>()).data.code).toBe("bad_frame");

    client.send(JSON.stringify({ type: "ping", id: 1 }));
    expect(await client.nextJson()).toEqual({ type: "ack", id: 1, data: "pong" });
  });

  it.each(["connect", "disconnect", "error", "__proto__", "constructor", "hasOwnProperty"])(
    "refuses a client event named %s without reaching any listener",
    async (name) => {
      const { broker, url } = await startBroker({ protocol: json() });
      const reached: string[] = [];
      for (const event of ["connect", "disconnect", "error", "message"]) {
        broker.on(event, () => {
          reached.push(event);
        });
      }
      const client = await connectClient(url);
      client.send(JSON.stringify({ type: name, data: { x: 1 } }));
      const error = await client.nextJson<ErrorFrame>();
      expect(error.data.code).toBe("bad_frame");
      expect(error.data.message).toContain("reserved");
      expect(reached).toEqual(["connect"]);
      expect(Object.prototype).not.toHaveProperty("x");
    },
  );

  it("answers a binary frame on a text codec with a bad_frame error frame", async () => {
    const { url } = await startBroker({ protocol: json() });
    const client = await connectClient(url);
    client.send(Buffer.from([1, 2, 3]), { binary: true });
    const error = await client.nextJson<ErrorFrame>();
    expect(error.data.code).toBe("bad_frame");
    expect(error.data.message).toMatch(/binary/);
  });

  it("answers a binary frame on the separator codec with a #error frame", async () => {
    const { url } = await startBroker();
    const client = await connectClient(url);
    client.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.next()).toMatch(/^#error\|bad_frame\|/);
  });

  it("gives an event with no listener to the message listener", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    const received = nextEvent<[unknown, unknown, string]>(broker, "message");
    const client = await connectClient(url);
    client.send(JSON.stringify({ type: "unheard", data: [1, 2] }));
    const [, data, event] = await received;
    expect(data).toEqual([1, 2]);
    expect(event).toBe("unheard");
  });

  it("ignores an event with no listener at all, and answers such a request with a no_listener ack", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    broker.on("ping", () => "pong");
    const client = await connectClient(url);
    client.send(JSON.stringify({ type: "unheard" }));
    client.send(JSON.stringify({ type: "unheard", id: 7 }));
    client.send(JSON.stringify({ type: "ping", id: 8 }));
    // Frames arrive in order: had the first produced anything, it would come first.
    expect(await client.nextJson()).toEqual({
      type: "ack",
      id: 7,
      error: { code: "no_listener", message: 'No listener for "unheard"' },
    });
    expect(await client.nextJson()).toEqual({ type: "ack", id: 8, data: "pong" });
  });

  it("closes a client whose text frame is not UTF-8 with 1007 and reports it", async () => {
    const { broker, url } = await startBroker();
    const reported = nextEvent<[unknown, BrokerError]>(broker, "error");
    const client = await connectClient(url);
    client.send(Buffer.from([0x23, 0xff, 0xfe, 0xfd]));
    expect((await client.closed).code).toBe(1007);
    const [, error] = await reported;
    expect(error.closeCode).toBe(1007);
  });

  it("closes a client whose frame exceeds maxPayload with 1009 while others keep receiving", async () => {
    const { broker, url } = await startBroker({ maxPayload: 1024 });
    broker.on("error", () => {});
    const bystander = await connectClient(url);
    const offender = await connectClient(url);
    const gone = nextEvent<[unknown, { code: number }]>(broker, "disconnect");
    offender.send("x".repeat(2048));
    expect((await offender.closed).code).toBe(1009);
    expect((await gone)[1].code).toBe(1009);
    broker.broadcast("still here");
    expect(await bystander.next()).toBe("still here");
  });

  it("reports an oversized frame as SB_ERR_PAYLOAD_TOO_LARGE", async () => {
    const { broker, url } = await startBroker({ maxPayload: 64 });
    const reported = nextEvent<[unknown, BrokerError]>(broker, "error");
    const client = await connectClient(url);
    client.send("y".repeat(65));
    const [, error] = await reported;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
  });
});
