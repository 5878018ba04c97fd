import { describe, expect, it } from "vitest";
import { connectClient } from "../helpers/test-client.js";
import { startExample } from "./run-example.js";

describe("examples/chat", () => {
  it("broadcasts a message to every client, the sender included", async () => {
    const { url } = await startExample("chat");
    const clients = await Promise.all([connectClient(url), connectClient(url), connectClient(url)]);
    const [alice] = clients;
    alice?.send("hello everyone");
    for (const client of clients) expect(await client.next()).toBe("hello everyone");
  });

  it("delivers each client's messages to everyone in the order they were sent", async () => {
    const { url } = await startExample("chat");
    const alice = await connectClient(url);
    const bob = await connectClient(url);
    alice.send("one");
    alice.send("two");
    for (const client of [alice, bob]) {
      expect(await client.next()).toBe("one");
      expect(await client.next()).toBe("two");
    }
    bob.send("three");
    for (const client of [alice, bob]) expect(await client.next()).toBe("three");
  });

  it("keeps broadcasting to the others after a client leaves", async () => {
    const { url } = await startExample("chat");
    const alice = await connectClient(url);
    const bob = await connectClient(url);
    bob.close();
    await bob.closed;
    alice.send("anyone left?");
    expect(await alice.next()).toBe("anyone left?");
  });

  it("prints only its listening line and exits 0 on SIGTERM, closing clients with 1001", async () => {
    const example = await startExample("chat");
    const client = await connectClient(example.url);
    expect(await example.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect((await client.closed).code).toBe(1001);
    expect(example.stdout()).toBe(`listening on ${example.url}\n`);
  });
});
