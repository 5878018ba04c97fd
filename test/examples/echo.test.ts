import { describe, expect, it } from "vitest";
import { connectClient } from "../helpers/test-client.js";
import { startExample } from "./run-example.js";

describe("examples/echo", () => {
  it("prints its listening line once, with the port it bound", async () => {
    const example = await startExample("echo");
    expect(example.port).toBeGreaterThan(0);
    const client = await connectClient(example.url);
    client.send("still here?");
    expect(await client.next()).toBe("still here?");
    expect(example.stdout()).toBe(`listening on ${example.url}\n`);
  });

  it("whispers a text frame back exactly as it was sent", async () => {
    const { url } = await startExample("echo");
    const client = await connectClient(url);
    const frames = ["hello", "", "pipes | and \\ backslashes", "émoji 🎉 and ✓", '{"type":"x"}'];
    for (const frame of frames) client.send(frame);
    for (const frame of frames) expect(await client.next()).toBe(frame);
  });

  it("whispers a named event back as the same frame", async () => {
    const { url } = await startExample("echo");
    const client = await connectClient(url);
    client.send("#shout|a|b");
    expect(await client.next()).toBe("#shout|a|b");
    client.send("#shout|a\\|b");
    expect(await client.next()).toBe("#shout|a\\|b");
  });

  it("answers only the sender", async () => {
    const { url } = await startExample("echo");
    const alice = await connectClient(url);
    const bob = await connectClient(url);
    alice.send("for alice only");
    expect(await alice.next()).toBe("for alice only");
    // Had alice's frame been broadcast, it would reach bob before the answer to his own.
    bob.send("for bob only");
    expect(await bob.next()).toBe("for bob only");
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "closes its clients with 1001 and exits 0 on %s",
    async (signal) => {
      const example = await startExample("echo");
      const client = await connectClient(example.url);
      const exit = await example.stop(signal);
      expect(exit).toEqual({ code: 0, signal: null });
      expect((await client.closed).code).toBe(1001);
    },
  );
});
