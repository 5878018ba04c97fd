import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertBackoff,
  type BackoffOptions,
  backoffCeiling,
  backoffDelay,
} from "../../src/client/backoff.js";

const defaults: BackoffOptions = { min: 250, max: 10_000, factor: 2, jitter: "full" };

/** Valid options: 0 <= min <= max, factor >= 1. */
const optionsArb = fc
  .record({
    min: fc.integer({ min: 0, max: 5_000 }),
    extra: fc.integer({ min: 0, max: 60_000 }),
    factor: fc.double({ min: 1, max: 10, noNaN: true }),
    jitter: fc.constantFrom("full", "equal", "none"),
  })
  .map(
    ({ min, extra, factor, jitter }): BackoffOptions => ({ min, max: min + extra, factor, jitter }),
  );
const attemptArb = fc.integer({ min: 1, max: 5_000 });
const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("backoffDelay", () => {
  it("doubles the ceiling from min up to max with the defaults", () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffCeiling(n, defaults));
    expect(ceilings).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it("draws full jitter uniformly under the ceiling", () => {
    expect(backoffDelay(3, defaults, () => 0)).toBe(0);
    expect(backoffDelay(3, defaults, () => 0.5)).toBe(500);
    expect(backoffDelay(3, defaults, () => 0.999_999)).toBe(999);
  });

  it("draws equal jitter in the upper half and none at the ceiling", () => {
    expect(backoffDelay(3, { ...defaults, jitter: "equal" }, () => 0)).toBe(500);
    expect(backoffDelay(3, { ...defaults, jitter: "equal" }, () => 0.999_999)).toBe(999);
    expect(backoffDelay(3, { ...defaults, jitter: "none" }, () => 0.3)).toBe(1_000);
  });

  it("stays within [0, ceiling] and ceilings within [min, max]", () => {
    fc.assert(
      fc.property(optionsArb, attemptArb, randomArb, (options, attempt, random) => {
        const ceiling = backoffCeiling(attempt, options);
        const delay = backoffDelay(attempt, options, () => random);
        expect(ceiling).toBeGreaterThanOrEqual(options.min);
        expect(ceiling).toBeLessThanOrEqual(options.max);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
        if (options.jitter === "equal")
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
      }),
    );
  });

  it("never lowers the ceiling from one attempt to the next", () => {
    fc.assert(
      fc.property(optionsArb, attemptArb, (options, attempt) => {
        expect(backoffCeiling(attempt + 1, options)).toBeGreaterThanOrEqual(
          backoffCeiling(attempt, options),
        );
      }),
    );
  });

  it("keeps a random source that returns 1 or more under the ceiling", () => {
    expect(backoffDelay(1, defaults, () => 1)).toBe(250);
    expect(backoffDelay(1, defaults, () => 7)).toBe(250);
  });

  it("spreads clients: delays of one attempt vary with the random source", () => {
    fc.assert(
      fc.property(attemptArb, randomArb, randomArb, (attempt, a, b) => {
        fc.pre(Math.abs(a - b) * backoffCeiling(attempt, defaults) >= 2);
        expect(backoffDelay(attempt, defaults, () => a)).not.toBe(
          backoffDelay(attempt, defaults, () => b),
        );
      }),
    );
  });

  it("rejects options no backoff can honour", () => {
    expect(() => assertBackoff({ ...defaults, min: -1 })).toThrow(/reconnect\.min/);
    expect(() => assertBackoff({ ...defaults, max: 100 })).toThrow(/reconnect\.max/);
    expect(() => assertBackoff({ ...defaults, factor: 0.5 })).toThrow(/reconnect\.factor/);
    expect(() => assertBackoff({ ...defaults, max: Number.POSITIVE_INFINITY })).toThrow(
      /reconnect\.max/,
    );
  });
});
