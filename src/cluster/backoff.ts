/** The Redis adapter's reconnection delays, in ms. */
export const RECONNECT = { min: 100, max: 2_000 } as const;

/**
 * ioredis's `retryStrategy` for connections the adapter opens from a URL: exponential from
 * `min`, capped at `max`, with jitter (half to all of the step) so that every node of a cluster
 * does not reconnect in the same instant after Redis comes back. Never gives up: a broker keeps
 * serving its own clients and rejoins the cluster whenever Redis returns.
 *
 * @param attempt 1 for the first retry, as ioredis counts.
 * @param random a number in [0, 1); injectable for tests.
 */
export function reconnectDelay(attempt: number, random: number = Math.random()): number {
  const step = Math.min(RECONNECT.max, RECONNECT.min * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * random);
}
