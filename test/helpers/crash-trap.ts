import { afterEach, beforeEach } from "vitest";

/**
 * Under Node's default policy an unhandled rejection or uncaught exception ends the process;
 * trapping them turns "the process would have died" into a failing test. Call at the top of a
 * test file: the returned array holds what was trapped during the current test.
 */
export function trapCrashes(): unknown[] {
  const unhandled: unknown[] = [];
  const trap = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on("unhandledRejection", trap);
    process.on("uncaughtException", trap);
  });
  afterEach(() => {
    process.off("unhandledRejection", trap);
    process.off("uncaughtException", trap);
  });
  return unhandled;
}

/** Two macrotask turns: long enough for a stray rejection to have been reported. */
export const settle = (): Promise<void> =>
  new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
