/**
 * Waiting for a condition without polling: code that changes what a test watches calls
 * `changed()`, and every pending `until` re-checks its condition then. A condition that never
 * holds fails after `limitMs` with a message naming what was awaited.
 */
const waiters = new Set<() => void>();

/** Wakes every pending `until` to re-check its condition. */
export function changed(): void {
  for (const wake of [...waiters]) wake();
}

export function until<T>(check: () => T | undefined, what: string, limitMs = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const first = check();
    if (first !== undefined) {
      resolve(first);
      return;
    }
    const wake = () => {
      const value = check();
      if (value === undefined) return;
      waiters.delete(wake);
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      waiters.delete(wake);
      reject(new Error(`Timed out waiting for ${what}`));
    }, limitMs);
    waiters.add(wake);
  });
}

/** Fails naming `what` unless `promise` settles within `limitMs`: a bound on a hang, not a pace. */
export function withinLimit<T>(promise: Promise<T>, what: string, limitMs = 3_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), limitMs);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
