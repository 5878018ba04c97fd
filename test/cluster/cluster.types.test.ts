import { describe, expectTypeOf, it } from "vitest";
import {
  type Adapter,
  type AdapterStats,
  type ClusterClient,
  createBroker,
  memoryAdapter,
  type PresenceEvent,
  redisAdapter,
  ServerEvent,
} from "../../src/index.js";

// These tests pin the scale-out types: `npm run typecheck` fails if a `@ts-expect-error` line
// starts compiling or an `expectTypeOf` stops holding.
describe("scale-out types", () => {
  it("types the presence listener, the queries and the stats", () => {
    const broker = createBroker({ port: 0, adapter: memoryAdapter() });
    broker.on(ServerEvent.PRESENCE, (event) => {
      expectTypeOf(event).toEqualTypeOf<PresenceEvent>();
      expectTypeOf(event.action).toEqualTypeOf<"join" | "leave">();
    });
    // @ts-expect-error a presence listener gets one event, not a client
    broker.on("presence", (_event, _data: unknown) => undefined);
    expectTypeOf(broker.fetchClients).returns.resolves.toEqualTypeOf<ClusterClient[]>();
    expectTypeOf(broker.fetchRoom).parameter(0).toBeString();
    expectTypeOf(broker.stats().adapter).toEqualTypeOf<AdapterStats>();
    expectTypeOf(broker.nodeId).toBeString();
  });

  it("checks the adapter options", () => {
    expectTypeOf(
      redisAdapter({ url: "redis://127.0.0.1:6379", optional: true }),
    ).toEqualTypeOf<Adapter>();
    // @ts-expect-error the prefix is a string
    redisAdapter({ prefix: 1 });
    // @ts-expect-error an adapter is an Adapter, not a URL
    createBroker({ adapter: "redis://127.0.0.1:6379" });
  });
});
