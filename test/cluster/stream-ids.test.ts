/** The recovery rule of shared (Redis Streams) histories, without Redis. */
import { describe, expect, it } from "vitest";
import {
  isAfter,
  missedEntries,
  parseStreamEventId,
  type StreamEntry,
  type StreamEventId,
} from "../../src/cluster/stream-ids.js";

const bounds = { maxEvents: 3, maxAgeMs: 1_000 };

function id(text: string): StreamEventId {
  const parsed = parseStreamEventId(text);
  if (!parsed) throw new Error(`not an id: ${text}`);
  return parsed;
}

/** Entries `<ms>-0` for each ms, each pointing at the one before. */
function chain(...ms: number[]): StreamEntry[] {
  return ms.map((at, index) => ({
    entry: `${at}-0`,
    prev: index === 0 ? "" : `${ms[index - 1]}-0`,
    gap: false,
    message: `m${at}`,
  }));
}

describe("shared history ids", () => {
  it("parses <epoch>:<ms>-<seq> and nothing else", () => {
    expect(parseStreamEventId("ab_C-9:1700000000000-3")).toEqual({
      epoch: "ab_C-9",
      entry: "1700000000000-3",
      ms: 1700000000000,
      seq: 3,
    });
    for (const bad of ["ab:1", "ab:1-", ":1-0", "a b:1-0", "ab:1-0\n", `${"e".repeat(40)}:1-0`]) {
      expect(parseStreamEventId(bad)).toBeUndefined();
    }
    expect(parseStreamEventId(`ab:1-${"0".repeat(200)}`)).toBeUndefined();
  });

  it("orders ids by time then sequence, and counts another epoch as newer", () => {
    expect(isAfter(id("e:2-0"), id("e:1-5"))).toBe(true);
    expect(isAfter(id("e:1-6"), id("e:1-5"))).toBe(true);
    expect(isAfter(id("e:1-5"), id("e:1-5"))).toBe(false);
    expect(isAfter(id("e:1-4"), id("e:1-5"))).toBe(false);
    expect(isAfter(id("f:1-0"), id("e:9-0"))).toBe(true);
  });
});

describe("missedEntries", () => {
  const now = 1_500;

  it("replays what follows the client's id, or nothing when it saw the newest", () => {
    const entries = chain(1000, 1100, 1200);
    expect(missedEntries(id("e:1000-0"), entries, now, bounds)?.map((e) => e.entry)).toEqual([
      "1100-0",
      "1200-0",
    ]);
    expect(missedEntries(id("e:1200-0"), chain(1200), now, bounds)).toEqual([]);
  });

  it("replays everything kept when the client's id is the one just trimmed", () => {
    const entries = chain(900, 1000, 1100, 1200).slice(1);
    expect(missedEntries(id("e:900-0"), entries, now, bounds)).toHaveLength(3);
  });

  it("refuses an id not in the stream, trimmed further back, or in the future", () => {
    const entries = chain(900, 1000, 1100).slice(1);
    expect(missedEntries(id("e:800-0"), entries, now, bounds)).toBeUndefined();
    expect(missedEntries(id("e:1050-0"), chain(1100), now, bounds)).toBeUndefined();
    expect(missedEntries(id("e:2000-0"), [], now, bounds)).toBeUndefined();
  });

  it("refuses more than maxEvents missed, even when the stream still has them", () => {
    const entries = chain(1000, 1100, 1200, 1300, 1400);
    expect(missedEntries(id("e:1100-0"), entries.slice(1), now, bounds)).toHaveLength(3);
    expect(missedEntries(id("e:1000-0"), entries, now, bounds)).toBeUndefined();
  });

  it("refuses when the oldest missed event is older than maxAgeMs", () => {
    const entries = chain(400, 600, 1400);
    expect(missedEntries(id("e:400-0"), entries, 1_600, bounds)).toHaveLength(2);
    expect(missedEntries(id("e:400-0"), entries, 1_601, bounds)).toBeUndefined();
  });

  it("refuses across a gap marker", () => {
    const entries = chain(1000, 1100, 1200);
    const withGap = entries.map((entry, index) => (index === 1 ? { ...entry, gap: true } : entry));
    expect(missedEntries(id("e:1000-0"), withGap, now, bounds)).toBeUndefined();
    expect(missedEntries(id("e:1100-0"), withGap.slice(1), now, bounds)).toHaveLength(1);
  });
});
