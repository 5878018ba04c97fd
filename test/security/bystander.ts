import { expect } from "vitest";
import type { Broker, ClientHandle } from "../../src/index.js";
import { nextEvent } from "../helpers/test-broker.js";
import type { TestClient } from "../helpers/test-client.js";

/**
 * The well-behaved client beside a hostile one is still served both ways: a broadcast reaches
 * it, and a frame from it reaches the listeners. Doubles as a round trip after which whatever
 * the broker still had queued for the hostile socket is done.
 */
export async function expectBystanderServed(
  broker: Broker,
  bystander: TestClient,
  bystanderId: string,
): Promise<void> {
  broker.broadcast("still served");
  expect(await bystander.next()).toBe("still served");
  const heard = nextEvent<[ClientHandle, unknown]>(broker, "message");
  bystander.send("still heard");
  const [from, data] = await heard;
  expect([from.id, data]).toEqual([bystanderId, "still heard"]);
}
