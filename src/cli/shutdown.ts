/**
 * How `switchboard listen` stops on SIGTERM or SIGINT, the way process managers (systemd,
 * Kubernetes, Docker) expect: stop accepting at once, let the broker drain, exit 0. The drain is
 * bounded: past `--shutdown-timeout` the process exits anyway, which cuts off what remains.
 */

/** `--shutdown-timeout`'s default: under Kubernetes' 30 s grace period and systemd's 90 s. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export type DrainOutcome = "drained" | "timed out";

/**
 * Waits for `closing` (the broker's `close()`) for at most `timeoutMs`; rejects if it does (an
 * internal failure: the command then exits 1 with it).
 */
export async function drainWithin(
  closing: Promise<void>,
  timeoutMs: number,
): Promise<DrainOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<DrainOutcome>((resolve) => {
    timer = setTimeout(() => resolve("timed out"), timeoutMs);
  });
  const drained = closing.then((): DrainOutcome => "drained");
  try {
    return await Promise.race([drained, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** "1 client", "3 clients". */
export function clientCount(count: number): string {
  return `${count} ${count === 1 ? "client" : "clients"}`;
}
