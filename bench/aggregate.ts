/**
 * Reduces repeated runs to one row per scenario, size and server: the run with
 * the median headline figure, whole, so that the figures in a row come from
 * one run and stay consistent with each other (every run is kept in the JSON).
 */
import type { Kind } from "./config.js";
import type { MetricName, RunResult } from "./scenario.js";

/** The figure runs are ranked by, and whether more of it is better. */
export const HEADLINE: Readonly<Record<Kind, { metric: MetricName; higherIsBetter: boolean }>> = {
  fanout: { metric: "deliveriesPerSec", higherIsBetter: true },
  crossnode: { metric: "deliveriesPerSec", higherIsBetter: true },
  rooms: { metric: "deliveriesPerSec", higherIsBetter: true },
  echo: { metric: "p99Ms", higherIsBetter: false },
  idle: { metric: "rssKbPerConn", higherIsBetter: false },
  churn: { metric: "cyclesPerSec", higherIsBetter: true },
  sse: { metric: "deliveriesPerSec", higherIsBetter: true },
};

export function medianRuns(runs: readonly RunResult[]): RunResult[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    const key = `${run.kind}\u0000${run.size}\u0000${run.server}`;
    const group = groups.get(key) ?? [];
    group.push(run);
    groups.set(key, group);
  }
  const rows: RunResult[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (!first) continue;
    const { metric, higherIsBetter } = HEADLINE[first.kind];
    const value = (run: RunResult): number => run.metrics[metric] ?? Number.NaN;
    // Worst first; for an even count the lower middle is then the less flattering of the two.
    const sorted = [...group].sort((a, b) =>
      higherIsBetter ? value(a) - value(b) : value(b) - value(a),
    );
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    if (median) rows.push(median);
  }
  return rows;
}
