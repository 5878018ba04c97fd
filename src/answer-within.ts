/**
 * Settles as `work` does, or rejects with "`what` did not answer within `ms` ms" once that long
 * has passed without an answer; a late answer is then dropped. For user callbacks the broker
 * waits on (`authenticate`, `authorize`): one that never settles must not hold a connection
 * slot, a socket and its request for good.
 */
export function answerWithin<T>(work: T | PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(work), late]).finally(() => clearTimeout(timer));
}
