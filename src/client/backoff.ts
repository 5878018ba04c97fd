/**
 * Reconnect delays: exponential backoff with jitter. Pure: the random source is a parameter.
 *
 * The ceiling for attempt `n` (1-based) is `min(max, min * factor^(n-1))`; the delay is drawn
 * under it ("full" jitter: uniform in [0, ceiling], as in AWS's "Exponential Backoff and
 * Jitter"), or in its upper half ("equal"), or is the ceiling itself ("none"). Jitter keeps a
 * crowd of clients that lost the same broker from all coming back in the same millisecond.
 */

export type Jitter = "full" | "equal" | "none";

export interface BackoffOptions {
  /** The first attempt's ceiling, in ms. */
  readonly min: number;
  /** The largest ceiling, in ms. */
  readonly max: number;
  /** How much the ceiling grows per attempt (>= 1). */
  readonly factor: number;
  readonly jitter: Jitter;
}

/** The ceiling of attempt `attempt` (1-based): `min(max, min * factor^(attempt - 1))`. */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  const { min, max, factor } = options;
  const grown = min * factor ** Math.max(0, attempt - 1);
  // Past ~1000 attempts factor^n is Infinity (and 0 * Infinity is NaN): the cap holds then.
  return Number.isFinite(grown) ? Math.min(max, grown) : max;
}

/**
 * The delay before reconnect attempt `attempt` (1-based), a whole number of ms in
 * [0, ceiling]. `random` returns numbers in [0, 1), like `Math.random`.
 *
 * @example
 * const options = { min: 250, max: 10_000, factor: 2, jitter: "full" } as const;
 * backoffDelay(3, options, () => 0.5); // 500: half of the third ceiling, 1000
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(attempt, options);
  // Clamped, so a random source that returns 1 (or more) still stays under the ceiling.
  const draw = Math.min(1, Math.max(0, random()));
  switch (options.jitter) {
    case "none":
      return Math.floor(ceiling);
    case "equal":
      return Math.floor(ceiling / 2 + (draw * ceiling) / 2);
    default:
      return Math.floor(draw * ceiling);
  }
}

/** Rejects options no backoff can honour; called once, when the client is created. */
export function assertBackoff(options: BackoffOptions): void {
  const { min, max, factor, jitter } = options;
  if (!Number.isFinite(min) || min < 0) {
    throw new RangeError(`Invalid reconnect.min: ${min} is not a finite number >= 0`);
  }
  if (!Number.isFinite(max) || max < min) {
    throw new RangeError(`Invalid reconnect.max: ${max} is not a finite number >= min (${min})`);
  }
  if (!Number.isFinite(factor) || factor < 1) {
    throw new RangeError(`Invalid reconnect.factor: ${factor} is not a finite number >= 1`);
  }
  if (jitter !== "full" && jitter !== "equal" && jitter !== "none") {
    throw new RangeError(`Invalid reconnect.jitter: ${String(jitter)}; use full, equal or none`);
  }
}
