import { describe, expect, it } from "vitest";
import type { BrokerError, ClientHandle } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

describe("maxRoomsPerClient", () => {
  it("refuses a join over the limit with false and an SB_ERR_LIMIT error event", async () => {
    const { broker, url } = await startBroker({ maxRoomsPerClient: 2 });
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    await connectClient(url);
    const [client] = await connected;
    expect(client.join("a")).toBe(true);
    expect(broker.join(client.id, "b")).toBe(true);
    // Joining a room it is already in is not a new room.
    expect(client.join("a")).toBe(true);
    const failed = nextEvent<[ClientHandle, BrokerError]>(broker, "error");
    expect(client.join("c")).toBe(false);
    const [who, error] = await failed;
    expect([who.id, error.code]).toEqual([client.id, "SB_ERR_LIMIT"]);
    expect([...client.rooms].sort()).toEqual(["a", "b"]);
  });

  it("refuses joins queued from a connect handler too (the supervisor enforces it)", async () => {
    const { broker, url } = await startBroker({ maxRoomsPerClient: 1 });
    const errors: string[] = [];
    broker.on("error", (_client, error) => {
      errors.push(error.code);
    });
    broker.on("connect", (client) => {
      client.join("first");
      client.join("second");
    });
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    await connectClient(url);
    const [client] = await connected;
    await expect.poll(() => errors).toEqual(["SB_ERR_LIMIT"]);
    expect([...client.rooms]).toEqual(["first"]);
  });
});
