/** `switchboard listen --redis`: CLI brokers that share a Redis form one cluster. */
import { describe, expect, it } from "vitest";
import { freePort, post, runCli, startListen } from "../cli/cli-process.js";
import { connectClient } from "../helpers/test-client.js";
import { REDIS_URL, redisSkipReason, uniquePrefix } from "./redis-helpers.js";

const skip = await redisSkipReason();

describe("switchboard listen --redis", () => {
  it.skipIf(skip !== undefined)(
    "delivers a post on one broker to a WebSocket client of another",
    async () => {
      const redis = ["--redis", REDIS_URL, "--redis-prefix", uniquePrefix("cli")];
      const [first, second] = await Promise.all([startListen(redis), startListen(redis)]);
      const client = await connectClient(first.url);
      client.send("#join|news");
      expect(await client.next()).toBe("#joined|news");
      // The second broker has no member of `news`: with Redis it accepts the post anyway.
      const answer = await post(`${second.base}/events/news/update`, "hello");
      expect(answer).toEqual({ status: 202, body: '{"delivered":0}' });
      expect(await client.next()).toBe("#update|hello");
    },
  );

  it("exits 1 with the reason when Redis cannot be reached", async () => {
    const port = await freePort();
    const result = await runCli(["listen", "-P", "0", "--redis", `redis://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      new RegExp(
        `^switchboard listen: cannot listen: Redis adapter: cannot reach redis://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED`,
      ),
    );
  });

  it.each([
    [["--redis", "127.0.0.1:6379"], "Invalid redis: expected a redis:// or rediss:// URL"],
    [["--redis-prefix", "x"], "--redis-prefix needs --redis"],
  ])("refuses %j with its usage and exit 2", async (args, why) => {
    const result = await runCli(["listen", ...args]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(why);
    expect(result.stderr).toContain("[--redis URL [--redis-prefix PREFIX]]");
  });
});
