import { describe, expectTypeOf, it } from "vitest";
import {
  type BrokerError,
  type ClientHandle,
  createBroker,
  type DisconnectInfo,
  ServerEvent,
} from "../../src/index.js";

// These tests pin the public types: `npm run typecheck` fails if a `@ts-expect-error` line
// starts compiling or an `expectTypeOf` stops holding.
describe("public types", () => {
  it("types lifecycle listeners by event name", () => {
    const broker = createBroker({ port: 0 });
    broker.on(ServerEvent.CONNECT, (client) => {
      expectTypeOf(client).toEqualTypeOf<ClientHandle>();
    });
    broker.on(ServerEvent.DISCONNECT, (client, info) => {
      expectTypeOf(client.id).toBeString();
      expectTypeOf(info).toEqualTypeOf<DisconnectInfo>();
    });
    broker.on(ServerEvent.ERROR, (client, error) => {
      expectTypeOf(client).toEqualTypeOf<ClientHandle | undefined>();
      expectTypeOf(error).toEqualTypeOf<BrokerError>();
    });
    broker.on(ServerEvent.MESSAGE, (_client, data, event) => {
      expectTypeOf(data).toBeUnknown();
      expectTypeOf(event).toBeString();
    });
    broker.on("#chat", (_client, data) => {
      expectTypeOf(data).toBeUnknown();
    });
    // @ts-expect-error a disconnect listener's second argument is DisconnectInfo, not a string
    broker.on(ServerEvent.DISCONNECT, (_client, info: string) => info);
    // @ts-expect-error options are checked
    createBroker({ port: "8899" });
  });

  it("carries the application's client data type", () => {
    const broker = createBroker<{ name?: string }>();
    broker.on("connect", (client) => {
      expectTypeOf(client.data.name).toEqualTypeOf<string | undefined>();
      // @ts-expect-error unknown data keys are rejected
      client.data.age = 3;
    });
    expectTypeOf(broker.whisper).returns.toBeBoolean();
    expectTypeOf(broker.listen).returns.resolves.toHaveProperty("url");
  });
});
