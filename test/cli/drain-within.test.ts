import { describe, expect, it } from "vitest";
import { clientCount, drainWithin } from "../../src/cli/shutdown.js";

describe("drainWithin", () => {
  it("answers drained when the close resolves in time", async () => {
    expect(await drainWithin(Promise.resolve(), 10_000)).toBe("drained");
  });

  it("answers timed out when the close is still running at the deadline", async () => {
    const never = new Promise<void>(() => {});
    expect(await drainWithin(never, 1)).toBe("timed out");
  });

  it("passes a failed close on, so the command exits 1 with it", async () => {
    const failed = Promise.reject(new Error("close failed"));
    await expect(drainWithin(failed, 10_000)).rejects.toThrow("close failed");
  });
});

describe("clientCount", () => {
  it.each([
    [0, "0 clients"],
    [1, "1 client"],
    [2, "2 clients"],
  ])("says %i as %s", (count, text) => {
    expect(clientCount(count)).toBe(text);
  });
});
