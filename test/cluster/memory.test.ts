/** One broker with the default in-memory adapter: the cluster API answers for this node alone. */
import { describe, expect, it } from "vitest";
import {
  type BrokerError,
  ErrorCode,
  json,
  memoryAdapter,
  type PresenceEvent,
} from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";
import { post } from "../sse/sse-helpers.js";
import { until } from "./redis-helpers.js";

describe("the in-memory adapter (one process)", () => {
  it("is the default: nothing published, nothing lost, always connected", async () => {
    const { broker } = await startBroker();
    expect(broker.stats()).toEqual({
      adapter: { published: 0, received: 0, lost: 0, connected: true },
    });
    expect(broker.nodeId).toMatch(/^[A-Za-z0-9_-]{21}$/);
    const other = await startBroker({ adapter: memoryAdapter() });
    expect(other.broker.nodeId).not.toBe(broker.nodeId);
  });

  it("refuses whispers, emits, joins and leaves for unknown ids", async () => {
    const { broker } = await startBroker();
    expect(broker.whisper("nobody", "x")).toBe(false);
    expect(broker.emit("nobody", "e")).toBe(false);
    expect(broker.join("nobody", "r")).toBe(false);
    expect(broker.leave("nobody", "r")).toBe(false);
  });

  it("still answers 404 to a POST on a channel nobody listens to", async () => {
    const { port } = await startBroker();
    expect((await post(port, "/events/nowhere/update", "x")).status).toBe(404);
    expect((await post(port, "/events/nowhere/close", "")).status).toBe(404);
  });

  it("answers fetchClients and fetchRoom at once, with this node's clients", async () => {
    const { broker, url } = await startBroker();
    const connected = nextEvent(broker, "connect");
    await connectClient(url);
    await connected;
    const [id] = [...broker.clients.keys()];
    broker.join(id ?? "", "lobby");
    await until(() => (broker.rooms.get("lobby")?.size ? true : undefined), "the join");
    const started = Date.now();
    const everyone = await broker.fetchClients({ timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(everyone).toEqual([
      {
        id,
        node: broker.nodeId,
        address: "127.0.0.1",
        transport: "websocket",
        protocol: "separator",
        rooms: ["lobby"],
      },
    ]);
    expect(await broker.fetchRoom("lobby")).toEqual(everyone);
    expect(await broker.fetchRoom("elsewhere")).toEqual([]);
  });

  it("fires presence for joins, leaves and disconnects; a failing listener is an error event", async () => {
    const { broker, url } = await startBroker();
    const events: PresenceEvent[] = [];
    const errors: BrokerError[] = [];
    broker.on("presence", () => {
      throw new Error("boom");
    });
    broker.on("presence", (event) => {
      events.push(event);
    });
    broker.on("error", (_client, error) => {
      errors.push(error);
    });
    const connected = nextEvent(broker, "connect");
    const client = await connectClient(url);
    await connected;
    const [id = ""] = [...broker.clients.keys()];
    broker.join(id, "a");
    broker.join(id, "b");
    broker.leave(id, "a");
    client.close();
    await until(() => (events.length === 4 ? true : undefined), "four presence events");
    const node = broker.nodeId;
    expect(events).toEqual([
      { room: "a", id, action: "join", node },
      { room: "b", id, action: "join", node },
      { room: "a", id, action: "leave", node },
      { room: "b", id, action: "leave", node },
    ]);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatchObject({ code: ErrorCode.HANDLER_FAILED });
  });

  it("never lets a client frame named presence reach the presence listeners", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    let heard = 0;
    broker.on("presence", () => {
      heard += 1;
    });
    const client = await connectClient(url);
    client.send(JSON.stringify({ type: "presence", data: { room: "x", id: "y", action: "join" } }));
    expect(await client.nextJson()).toMatchObject({ type: "error", data: { code: "bad_frame" } });
    expect(heard).toBe(0);
  });
});
