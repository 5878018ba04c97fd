/**
 * The soak test's pass rules, as pure functions of what was measured, so the rules are stated
 * in one place and the runner only reports.
 */

/** One periodic reading of the broker process. */
export interface MemoryReading {
  /** Seconds since the load reached full strength. */
  readonly t: number;
  readonly rss: number;
}

/** Last-third average RSS may be at most this many times the first-third average. */
export const RSS_GROWTH_LIMIT = 1.25;

/** The warm-up excluded from the memory rule: a quarter of the run, at least 10 s. */
export function warmUpSeconds(runSeconds: number): number {
  return Math.max(10, runSeconds / 4);
}

export interface MemoryVerdict {
  readonly ok: boolean;
  /** Average RSS over the first and last third of the readings after warm-up, bytes. */
  readonly firstThird: number;
  readonly lastThird: number;
  readonly ratio: number;
  readonly text: string;
}

const average = (values: readonly number[]) =>
  values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/**
 * After warm-up, split the readings into thirds: the run passes when the last third's average
 * RSS is at most `RSS_GROWTH_LIMIT` times the first third's. Memory that a steady load keeps
 * growing (a leak per connection, per room or per message) fails it; a plateau passes.
 */
export function judgeMemory(readings: readonly MemoryReading[], warmUp: number): MemoryVerdict {
  const after = readings.filter((reading) => reading.t >= warmUp);
  if (after.length < 3) {
    return {
      ok: false,
      firstThird: 0,
      lastThird: 0,
      ratio: Number.NaN,
      text: `only ${after.length} readings after the ${warmUp} s warm-up: run longer (--seconds)`,
    };
  }
  const third = Math.floor(after.length / 3);
  const firstThird = average(after.slice(0, third).map((reading) => reading.rss));
  const lastThird = average(after.slice(-third).map((reading) => reading.rss));
  const ratio = lastThird / firstThird;
  const ok = ratio <= RSS_GROWTH_LIMIT;
  return {
    ok,
    firstThird,
    lastThird,
    ratio,
    text:
      `RSS after warm-up: first third ${mb(firstThird)}, last third ${mb(lastThird)}, ` +
      `x${ratio.toFixed(3)} (limit x${RSS_GROWTH_LIMIT}): ${ok ? "ok" : "FAIL, still growing"}`,
  };
}
