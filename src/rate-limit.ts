/**
 * The per-connection inbound rate limit: a token bucket, as a pure step function so it can be
 * tested with fake time and kept in the connection actor's context. No timers: tokens are
 * refilled lazily from the elapsed time when a frame arrives.
 */

/** `rateLimit` as the application gives it. */
export interface RateLimitOptions {
  /** Frames allowed per `perMs` on average. */
  readonly messages: number;
  readonly perMs: number;
  /** Frames allowed in one go after a quiet spell (the bucket's size). Default `messages`. */
  readonly burst?: number;
  /** Consecutive dropped frames before the client is closed with 1008. Default 10. */
  readonly maxBreaches?: number;
}

/** The limit with its defaults filled in. */
export interface RateLimit {
  readonly messages: number;
  readonly perMs: number;
  readonly burst: number;
  readonly maxBreaches: number;
}

export interface BucketState {
  readonly tokens: number;
  /** When `tokens` was last computed (ms, any monotonic-enough clock). */
  readonly at: number;
  /** Frames dropped since the last one let through. */
  readonly breaches: number;
}

/** What to do with a frame: let it through, drop it, or drop it and close the client. */
export type Verdict = "allow" | "drop" | "close";

export function resolveRateLimit(options: RateLimitOptions, defaultMaxBreaches: number): RateLimit {
  const { messages, perMs } = options;
  if (!(messages > 0) || !(perMs > 0)) {
    throw new RangeError("rateLimit: messages and perMs must be positive numbers");
  }
  return {
    messages,
    perMs,
    burst: options.burst ?? messages,
    maxBreaches: options.maxBreaches ?? defaultMaxBreaches,
  };
}

/** A full bucket: a new client may send a burst at once. */
export function fullBucket(limit: RateLimit, now: number): BucketState {
  return { tokens: limit.burst, at: now, breaches: 0 };
}

/** Spends one token for a frame arriving at `now`. */
export function spend(
  limit: RateLimit,
  state: BucketState,
  now: number,
): { readonly state: BucketState; readonly verdict: Verdict } {
  // A clock going backwards (a test's fake time, a system clock change) refills nothing.
  const elapsed = Math.max(0, now - state.at);
  const tokens = Math.min(limit.burst, state.tokens + (elapsed * limit.messages) / limit.perMs);
  if (tokens >= 1) {
    return { state: { tokens: tokens - 1, at: now, breaches: 0 }, verdict: "allow" };
  }
  const breaches = state.breaches + 1;
  return {
    state: { tokens, at: now, breaches },
    verdict: breaches >= limit.maxBreaches ? "close" : "drop",
  };
}
