import { describe, expect, it } from "vitest";
import {
  type BrokerError,
  type BrokerEvent,
  type ClientHandle,
  ErrorCode,
  json,
} from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

describe("pump()", () => {
  it("returns nothing on the first call, then everything since the previous call, in order", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    expect(broker.pump()).toEqual({ connected: [], events: [], disconnected: [], dropped: 0 });
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const client = await connectClient(url);
    const [handle] = await connected;
    let moves = 0;
    const bothMoves = new Promise<void>((resolve) => {
      broker.on("move", () => {
        moves += 1;
        if (moves === 2) resolve();
      });
    });
    client.send(JSON.stringify({ type: "move", data: { x: 1 } }));
    client.send(JSON.stringify({ type: "move", data: { x: 2 } }));
    await bothMoves;
    const gone = nextEvent(broker, "disconnect");
    client.close(1000);
    await gone;

    const first = broker.pump();
    expect(first.connected.map((c) => c.id)).toEqual([handle.id]);
    expect(first.events.map(({ event, data }) => [event, data])).toEqual([
      ["move", { x: 1 }],
      ["move", { x: 2 }],
    ]);
    expect(first.disconnected.map(({ client: c, info }) => [c.id, info.code])).toEqual([
      [handle.id, 1000],
    ]);
    expect(broker.pump()).toEqual({ connected: [], events: [], disconnected: [], dropped: 0 });
  });

  it("keeps at most pullQueue events, drops the oldest, counts them and reports the overflow once", async () => {
    const { broker, url } = await startBroker({ protocol: json(), pullQueue: 3 });
    const errors: BrokerError[] = [];
    broker.on("error", (_client, error) => {
      errors.push(error);
    });
    broker.pump();
    const client = await connectClient(url);
    let seen = 0;
    const fiveMessages = new Promise<void>((resolve) => {
      broker.on("n", () => {
        seen += 1;
        if (seen === 5) resolve();
      });
    });
    for (let n = 1; n <= 5; n += 1) client.send(JSON.stringify({ type: "n", data: n }));
    await fiveMessages;
    const result = broker.pump();
    // connect + 5 messages = 6 events; the 3 newest survive.
    expect(result.connected).toEqual([]);
    expect(result.events.map(({ data }) => data)).toEqual([3, 4, 5]);
    expect(result.dropped).toBe(3);
    expect(errors.map((error) => error.code)).toEqual([ErrorCode.QUEUE_OVERFLOW]);
  });
});

describe("events()", () => {
  it("yields connects, messages and disconnects as they happen and ends when the broker closes", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    const seen: string[] = [];
    const iterator = broker.events();
    const consumed = (async () => {
      for await (const event of iterator) {
        seen.push(
          event.type === "message" ? `message:${event.event}:${String(event.data)}` : event.type,
        );
        if (event.type === "disconnect") await broker.close();
      }
    })();
    const client = await connectClient(url);
    client.send(JSON.stringify({ type: "say", data: "hi" }));
    await nextEvent(broker, "message");
    client.close();
    await consumed;
    expect(seen).toEqual(["connect", "message:say:hi", "disconnect"]);
  });

  it("stops delivering to a loop that breaks", async () => {
    const { broker, url } = await startBroker();
    const types: BrokerEvent["type"][] = [];
    const loop = (async () => {
      for await (const event of broker.events()) {
        types.push(event.type);
        break;
      }
    })();
    await connectClient(url);
    await loop;
    expect(types).toEqual(["connect"]);
  });
});

describe("use(controller)", () => {
  class ChatController {
    readonly said: string[] = [];
    chat(_client: ClientHandle, data: unknown): string {
      this.said.push(String(data));
      return `ok:${String(data)}`;
    }
    shout(): never {
      throw new Error("too loud");
    }
  }

  it("dispatches events to the method named like them, with this bound, answering acks", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    const controller = new ChatController();
    broker.use(controller);
    broker.on("error", () => {});
    const client = await connectClient(url);
    client.send(JSON.stringify({ type: "chat", data: "hello", id: 1 }));
    expect(await client.nextJson()).toEqual({ type: "ack", id: 1, data: "ok:hello" });
    expect(controller.said).toEqual(["hello"]);
    client.send(JSON.stringify({ type: "shout", id: 2 }));
    expect(await client.nextJson()).toEqual({ type: "ack", id: 2, error: { message: "too loud" } });
  });

  it("maps separator events (#chat) to the method without the #", async () => {
    const { broker, url } = await startBroker();
    const controller = new ChatController();
    broker.use(controller);
    const called = new Promise<void>((resolve) => {
      broker.use({ ready: () => resolve() });
    });
    const client = await connectClient(url);
    client.send("#chat|a|b");
    client.send("#ready");
    await called;
    expect(controller.said).toEqual(["a,b"]);
  });

  it("lets explicit listeners win and lets unknown events fall through to the message listener", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    const controller = new ChatController();
    broker.use(controller);
    broker.on("chat", () => "listener");
    const fellThrough = nextEvent<[ClientHandle, unknown, string]>(broker, "message");
    const client = await connectClient(url);
    client.send(JSON.stringify({ type: "chat", data: "x", id: 1 }));
    expect(await client.nextJson()).toEqual({ type: "ack", id: 1, data: "listener" });
    client.send(JSON.stringify({ type: "unknownThing", data: 5 }));
    const [, data, event] = await fellThrough;
    expect([event, data]).toEqual(["unknownThing", 5]);
    expect(controller.said).toEqual([]);
  });

  it("never calls Object.prototype members, whatever the frame's name", async () => {
    // `#toString` is not a reserved name (separator events start with #), but its method name
    // would be Object.prototype.toString: it must fall through, not be called.
    const { broker, url } = await startBroker();
    broker.use(new ChatController());
    const fellThrough = nextEvent<[ClientHandle, unknown, string]>(broker, "message");
    broker.on("error", () => {
      throw new Error("no error expected");
    });
    const client = await connectClient(url);
    client.send("#toString|x");
    const [, data, event] = await fellThrough;
    expect([event, data]).toEqual(["#toString", ["x"]]);
  });
});
