import { describe, expectTypeOf, it } from "vitest";
import {
  type Client,
  type ClientError,
  type ClientEvent,
  type ClientState,
  type CloseInfo,
  connect,
  type ReconnectingInfo,
} from "../../src/client/index.js";

/** An application's events, declared as an interface (no index signature needed). */
interface ChatEvents {
  chat: string;
  msg: { user: string; message: string };
  sum: [number, number];
  ping: undefined;
}

interface ChatReplies {
  sum: number;
}

/** Type checks only: the body is compiled by `npm run typecheck` and never run (no sockets). */
function typeOnly(_checks: () => void): void {}

// These tests pin the client's public types: `npm run typecheck` fails if a `@ts-expect-error`
// line starts compiling or an `expectTypeOf` stops holding.
describe("client types", () => {
  it("types on/bind/off listeners by the event map", () => {
    typeOnly(() => {
      const client = connect<ChatEvents>("ws://127.0.0.1:1/ws", { reconnect: false });
      expectTypeOf(client).toEqualTypeOf<Client<ChatEvents>>();
      client.on("msg", (data) => {
        expectTypeOf(data).toEqualTypeOf<{ user: string; message: string }>();
      });
      client.bind("chat", (data) => {
        expectTypeOf(data).toBeString();
      });
      client.off("chat");
      // @ts-expect-error an event the map does not list
      client.on("nope", () => {});
      // @ts-expect-error the listener's data type must match the map
      client.on("chat", (data: number) => data);
    });
  });

  it("types lifecycle events separately from the map", () => {
    typeOnly(() => {
      const client = connect<ChatEvents>("ws://127.0.0.1:1/ws", { reconnect: false });
      client.on("open", (data) => expectTypeOf(data).toBeUndefined());
      client.on("close", (info) => expectTypeOf(info).toEqualTypeOf<CloseInfo>());
      client.on("reconnecting", (info) => expectTypeOf(info).toEqualTypeOf<ReconnectingInfo>());
      client.bind("error", (error) => {
        expectTypeOf(error).toEqualTypeOf<ClientError>();
        expectTypeOf(error.code).toBeString();
      });
      expectTypeOf(client.state).toEqualTypeOf<ClientState>();
      // @ts-expect-error lifecycle names cannot be sent
      client.send("close", undefined);
    });
  });

  it("types send and request data, and request replies from a second map", () => {
    typeOnly(() => {
      const client = connect<ChatEvents, ChatReplies>("ws://127.0.0.1:1/ws", { reconnect: false });
      expectTypeOf(client.send("chat", "hello")).toBeBoolean();
      client.send("ping");
      // @ts-expect-error chat carries a string
      client.send("chat", 42);
      // @ts-expect-error chat's data is required
      client.send("chat");
      // @ts-expect-error an event the map does not list
      client.send("nope", 1);
      expectTypeOf(client.request("sum", [1, 2])).resolves.toBeNumber();
      expectTypeOf(client.request("chat", "hi", { timeout: 50 })).resolves.toBeUnknown();
      // @ts-expect-error sum carries two numbers
      void client.request("sum", [1]);
      void client.close();
    });
  });

  it("types pump() and for await by the map", () => {
    typeOnly(() => {
      const client = connect<ChatEvents>("ws://127.0.0.1:1/ws", { reconnect: false, pump: {} });
      const events = client.pump();
      expectTypeOf(events).toEqualTypeOf<ClientEvent<ChatEvents>[]>();
      for (const event of events) {
        if (event.type === "msg")
          expectTypeOf(event.data).toEqualTypeOf<{ user: string; message: string }>();
        if (event.type === "chat") expectTypeOf(event.data).toBeString();
      }
      expectTypeOf(client[Symbol.asyncIterator]().next()).resolves.toMatchTypeOf<
        IteratorResult<ClientEvent<ChatEvents>, undefined>
      >();
      void client.close();
    });
  });

  it("types the token option and the renewal events", () => {
    typeOnly(() => {
      connect("ws://127.0.0.1:1/ws", { token: "opaque" });
      connect("ws://127.0.0.1:1/ws", { token: () => "fresh" });
      const client = connect("ws://127.0.0.1:1/ws", { token: async () => "fresh" });
      client.on("reauthenticating", (data) => expectTypeOf(data).toBeUndefined());
      client.on("reauthenticated", (data) => expectTypeOf(data).toBeUndefined());
      expectTypeOf(client.renew()).toEqualTypeOf<Promise<void>>();
      // @ts-expect-error renew() takes no token: it asks the token option
      void client.renew("fresh");
      // @ts-expect-error a token is a string, or a function returning one
      connect("ws://127.0.0.1:1/ws", { token: 42 });
      // @ts-expect-error a token function returns a string
      connect("ws://127.0.0.1:1/ws", { token: () => 42 });
      void client.close();
    });
  });

  it("accepts anything without a map", () => {
    typeOnly(() => {
      const client = connect("ws://127.0.0.1:1/ws", { reconnect: false });
      client.on("anything", (data) => expectTypeOf(data).toBeUnknown());
      client.send("anything", { any: "data" });
      client.send("no-data");
      expectTypeOf(client.request("anything", 1)).resolves.toBeUnknown();
      expectTypeOf(client.pump()).toEqualTypeOf<
        { readonly type: string; readonly data: unknown }[]
      >();
      // @ts-expect-error options are checked
      connect("ws://127.0.0.1:1/ws", { protocol: "xml" });
      // @ts-expect-error reconnect options are checked
      connect("ws://127.0.0.1:1/ws", { reconnect: { jitter: "some" } });
      void client.close();
    });
  });
});
