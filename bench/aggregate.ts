/**
 * Reduces repeated runs to one row per server and size: the run with the
 * median throughput, whole, so that the figures in a row come from one
 * run and stay consistent with each other (every run is kept in the JSON).
 */
import type { ScenarioResult } from "./scenario.js";

export function medianRuns(runs: readonly ScenarioResult[]): ScenarioResult[] {
  const groups = new Map<string, ScenarioResult[]>();
  for (const run of runs) {
    const key = `${run.clients}\u0000${run.server}`;
    const group = groups.get(key) ?? [];
    group.push(run);
    groups.set(key, group);
  }
  const rows: ScenarioResult[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => a.deliveriesPerSec - b.deliveriesPerSec);
    // Lower middle for an even count: the less flattering of the two.
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    if (median) rows.push(median);
  }
  return rows;
}
