import { describe, expect, it } from "vitest";
import { json } from "../../src/index.js";
import { fullBucket, resolveRateLimit, spend } from "../../src/rate-limit.js";
import { startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

describe("rate-limit bucket", () => {
  const limit = resolveRateLimit({ messages: 2, perMs: 1_000, maxBreaches: 3 }, 10);

  it("lets a burst through, drops the next frame, and refills with time", () => {
    let state = fullBucket(limit, 0);
    const verdicts: string[] = [];
    for (const now of [0, 0, 0, 500, 500]) {
      const step = spend(limit, state, now);
      state = step.state;
      verdicts.push(step.verdict);
    }
    expect(verdicts).toEqual(["allow", "allow", "drop", "allow", "drop"]);
  });

  it("asks to close after maxBreaches consecutive drops, and forgets them on an allowed frame", () => {
    let state = fullBucket(limit, 0);
    state = spend(limit, spend(limit, state, 0).state, 0).state;
    expect(spend(limit, state, 0).verdict).toBe("drop");
    state = spend(limit, spend(limit, state, 0).state, 0).state;
    expect(spend(limit, state, 0).verdict).toBe("close");
    expect(spend(limit, state, 10_000).state.breaches).toBe(0);
  });

  it("refuses a non-positive rate", () => {
    expect(() => resolveRateLimit({ messages: 0, perMs: 1_000 }, 10)).toThrow(RangeError);
  });
});

describe("rateLimit over a real socket", () => {
  it("answers frames over the limit with rate_limited and closes with 1008 after maxBreaches", async () => {
    const { broker, url } = await startBroker({
      protocol: json(),
      rateLimit: { messages: 2, perMs: 60_000, maxBreaches: 3 },
    });
    broker.on("echo", (_client, data) => data);
    const client = await connectClient(url);
    const echo = (id: number) => client.send(JSON.stringify({ type: "echo", data: id, id }));
    echo(1);
    echo(2);
    expect(await client.nextJson()).toEqual({ type: "ack", id: 1, data: 1 });
    expect(await client.nextJson()).toEqual({ type: "ack", id: 2, data: 2 });
    for (let id = 3; id <= 5; id += 1) echo(id);
    for (let dropped = 0; dropped < 3; dropped += 1) {
      expect(await client.nextJson()).toMatchObject({
        type: "error",
        data: { code: "rate_limited" },
      });
    }
    expect((await client.closed).code).toBe(1008);
  });
});
