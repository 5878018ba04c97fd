/**
 * What each mode runs. Sizes are chosen so that the slowest plausible server
 * still fits the mode's time budget on a 2-core machine: quick < 2 min,
 * full < ~10 min, with every scenario under its own hard timeout and the
 * whole run under the mode's budget.
 */

/** The servers, by the script that runs each (relative to bench/). */
export const SERVERS = {
  "raw ws": "./servers/raw-ws.ts",
  switchboard: "./servers/switchboard.ts",
} as const;

export type ServerName = keyof typeof SERVERS;

/** The server the ratios are relative to. */
export const BASELINE: ServerName = "raw ws";

export interface Scenario {
  server: ServerName;
  /** Connected clients, all of them receivers (client 0 also publishes). */
  clients: number;
  /** Measured broadcasts. */
  messages: number;
  /** Unmeasured broadcasts first, so the JIT has warmed up the hot path. */
  warmup: number;
  /** Hard limit for the whole scenario, process start to last reply. */
  timeoutMs: number;
  /** 1-based repetition number of this server and size. */
  run: number;
}

/** Above this share of a core used by other processes, a run's figures are flagged. */
export const NOISY_SHARE = 0.2;

/** Broadcasts in flight at most. */
export const WINDOW = 20;
/** Clients opened concurrently while connecting. */
export const CONNECT_BATCH = 200;

interface Size {
  clients: number;
  messages: number;
  timeoutMs: number;
}

export interface Mode {
  name: "quick" | "full";
  sizes: readonly Size[];
  /**
   * Runs per server and size. The machine is shared and two cores leave no
   * headroom, so one run can be slowed by a neighbour; the median of three
   * resists that. Quick mode trades it for time.
   */
  repeats: number;
  /** The whole run's limit; repeats that might overrun it are skipped. */
  budgetMs: number;
}

export const QUICK: Mode = {
  name: "quick",
  sizes: [
    { clients: 1_000, messages: 2_000, timeoutMs: 50_000 },
    // Memory per connection is judged at 5,000 clients (fixed costs blur it at 1,000); a
    // short fan-out keeps this size inside the quick budget.
    { clients: 5_000, messages: 200, timeoutMs: 50_000 },
  ],
  repeats: 1,
  budgetMs: 110_000,
};

export const FULL: Mode = {
  name: "full",
  sizes: [
    { clients: 1_000, messages: 2_000, timeoutMs: 80_000 },
    // 5,000 × 1,000 = 5M deliveries: more than the 1,000-client run's 2M,
    // without letting a slow server run past the budget.
    { clients: 5_000, messages: 1_000, timeoutMs: 150_000 },
  ],
  repeats: 3,
  budgetMs: 570_000,
};

/**
 * Every scenario of a mode in run order: size by size, and within a size the
 * servers alternate run by run, so that each ratio compares runs made close
 * together in time.
 */
export function scenarios(mode: Mode, only: readonly ServerName[]): Scenario[] {
  const servers = (Object.keys(SERVERS) as ServerName[]).filter(
    (name) => only.length === 0 || only.includes(name),
  );
  return mode.sizes.flatMap((size) =>
    Array.from({ length: mode.repeats }, (_, index) =>
      servers.map((server) => ({
        server,
        ...size,
        warmup: Math.min(200, size.messages),
        run: index + 1,
      })),
    ).flat(),
  );
}
