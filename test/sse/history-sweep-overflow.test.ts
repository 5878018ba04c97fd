/**
 * Review: `ChannelHistories.#armSweep` arms `setTimeout(sweep, max(1 000, maxAgeMs))`. Node's
 * timers hold at most 2^31-1 ms (~24.8 days); a longer `sse.history.maxAgeMs` (a month of
 * history, or `Infinity` for "count only") is replaced by 1 ms with a TimeoutOverflowWarning.
 * The sweep then finds the idle channel's events still young, re-arms with the same delay, and
 * spins every millisecond for as long as the channel stays idle: a busy loop, and a warning on
 * stderr each time. (`AuthSessions.expireAt` already clamps its timers for this reason.)
 */
import { describe, expect, it } from "vitest";
import type { ClientHandle } from "../../src/index.js";
import { settle } from "../helpers/crash-trap.js";
import { startBroker } from "../helpers/test-broker.js";
import { openStream, uniqueChannel } from "../sse/sse-helpers.js";

// A duration no other test uses, so the warning it causes is recognisably this one's.
const MAX_AGE_MS = 2 ** 31 + 4_242;

describe("the idle-channel sweep with a history longer than Node's timer range", () => {
  it("arms no timer Node has to truncate to 1 ms", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => {
      if (warning.message.includes(String(MAX_AGE_MS))) warnings.push(warning.message);
    };
    process.on("warning", onWarning);
    try {
      const { broker, port } = await startBroker({
        sse: { history: { maxEvents: 100, maxAgeMs: MAX_AGE_MS } },
      });
      const channel = uniqueChannel("sweep");
      const connected = new Promise<ClientHandle>((resolve) => broker.on("connect", resolve));
      const stream = await openStream(port, `/events/${channel}`);
      await connected;
      // One event in the channel's history, so the history outlives its last member.
      broker.broadcast("kept", { room: channel });
      await stream.next();
      const gone = new Promise<void>((resolve) => broker.on("disconnect", () => resolve()));
      stream.destroy();
      await gone;
      // The warning is emitted on the next tick after the timer is armed.
      await settle();
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
