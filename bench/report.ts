/** Turns results into the printed tables, the target verdicts and the JSON file; no measuring here. */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { KINDS, type Kind, SERVERS, type ServerId, SUBJECT } from "./config.js";
import type { Machine } from "./machine.js";
import type { ProfileSummary } from "./profile.js";
import { isNoisy, type MetricName, type RunResult } from "./scenario.js";

export interface Failure {
  server: ServerId;
  kind: Kind;
  size: string;
  run: number;
  error: string;
}

/** A scenario left out on purpose (not a failure): what, and why. */
export interface Skip {
  kind: Kind;
  /** The size, or undefined when every size of the kind was left out. */
  size: string | undefined;
  /** Who was left out, as the tables name it. */
  server: string;
  reason: string;
}

export interface Report {
  startedAt: string;
  mode: "quick" | "full";
  durationMs: number;
  machine: Machine;
  /** One row per scenario, size and server: the median run (see aggregate.ts). */
  results: RunResult[];
  /** Every run, in the order made. */
  runs: RunResult[];
  failures: Failure[];
  /** Scenarios not run on purpose, such as cross-node without a reachable Redis. */
  skipped: Skip[];
  targets: Verdict[];
  profiles: ProfileSummary[];
}

/** Metrics where more is better; for every other one, less is. */
const HIGHER_IS_BETTER: ReadonlySet<MetricName> = new Set<MetricName>([
  "deliveriesPerSec",
  "roundTripsPerSec",
  "cyclesPerSec",
]);

interface Column {
  header: string;
  metric: MetricName;
  digits: number;
}

interface RatioColumn {
  /** Short name of the metric in the ratio headers ("del/s" -> "del/s vs raw"). */
  name: string;
  metric: MetricName;
}

interface TableSpec {
  columns: readonly Column[];
  ratios: readonly RatioColumn[];
}

const BROADCAST_TABLE: TableSpec = {
  columns: [
    { header: "deliveries/s", metric: "deliveriesPerSec", digits: 0 },
    { header: "p50 ms", metric: "p50Ms", digits: 2 },
    { header: "p99 ms", metric: "p99Ms", digits: 2 },
    { header: "CPU s/M deliv", metric: "cpuUsPerDelivery", digits: 3 },
  ],
  ratios: [
    { name: "del/s", metric: "deliveriesPerSec" },
    { name: "CPU", metric: "cpuUsPerDelivery" },
    { name: "p99", metric: "p99Ms" },
  ],
};

const TABLES: Readonly<Record<Kind, TableSpec>> = {
  fanout: BROADCAST_TABLE,
  // "vs 1 node": to the same server's one-node fan-out (KINDS.crossnode), the second node's cost.
  crossnode: {
    columns: [
      ...BROADCAST_TABLE.columns,
      { header: "Redis CPU s/M", metric: "redisCpuUsPerDelivery", digits: 3 },
    ],
    ratios: BROADCAST_TABLE.ratios,
  },
  rooms: BROADCAST_TABLE,
  sse: BROADCAST_TABLE,
  echo: {
    columns: [
      { header: "round trips/s", metric: "roundTripsPerSec", digits: 0 },
      { header: "p50 ms", metric: "p50Ms", digits: 3 },
      { header: "p99 ms", metric: "p99Ms", digits: 3 },
      { header: "max ms", metric: "maxMs", digits: 2 },
    ],
    ratios: [
      { name: "p50", metric: "p50Ms" },
      { name: "p99", metric: "p99Ms" },
    ],
  },
  idle: {
    columns: [{ header: "RSS KB/conn", metric: "rssKbPerConn", digits: 1 }],
    ratios: [{ name: "RSS", metric: "rssKbPerConn" }],
  },
  churn: {
    columns: [
      { header: "cycles/s", metric: "cyclesPerSec", digits: 0 },
      { header: "CPU µs/cycle", metric: "cpuUsPerCycle", digits: 0 },
    ],
    ratios: [
      { name: "cycles/s", metric: "cyclesPerSec" },
      { name: "CPU", metric: "cpuUsPerCycle" },
    ],
  },
};

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function format(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  return digits === 0 ? integer.format(value) : value.toFixed(digits);
}

function ratioText(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? "n/a" : `${ratio.toFixed(2)}×`;
}

const label = (server: ServerId): string => SERVERS[server].label;

/** The rows of one scenario and size. */
function sameRow(results: readonly RunResult[], kind: Kind, size: string): RunResult[] {
  return results.filter((r) => r.kind === kind && r.size === size);
}

function value(row: RunResult | undefined, metric: MetricName): number | undefined {
  const v = row?.metrics[metric];
  return v === undefined || !Number.isFinite(v) ? undefined : v;
}

/** The best peer's value of `metric` in `rows` (max or min as the metric wants), and who. */
function bestPeer(
  rows: readonly RunResult[],
  kind: Kind,
  metric: MetricName,
): { server: ServerId; value: number } | undefined {
  let best: { server: ServerId; value: number } | undefined;
  for (const row of rows) {
    if (!KINDS[kind].peers.includes(row.server)) continue;
    const v = value(row, metric);
    if (v === undefined) continue;
    const better = HIGHER_IS_BETTER.has(metric)
      ? v > (best?.value ?? -Infinity)
      : v < (best?.value ?? Infinity);
    if (better) best = { server: row.server, value: v };
  }
  return best;
}

function ratio(v: number | undefined, base: number | undefined): number | undefined {
  return v === undefined || base === undefined || base === 0 ? undefined : v / base;
}

/** Whether a table has a distinct "vs best peer" (SSE's only peer is its baseline). */
function hasBestColumns(kind: Kind): boolean {
  const { peers, baseline } = KINDS[kind];
  return peers.length > 0 && !(peers.length === 1 && peers[0] === baseline);
}

/**
 * The row `row` is compared with: its baseline's at the same size, in its baseline's kind
 * (cross-node: its own server's, on one node).
 */
function baselineRow(results: readonly RunResult[], row: RunResult): RunResult | undefined {
  const { baseline, baselineKind, baselineIsOwnServer } = KINDS[row.kind];
  const server = baselineIsOwnServer ? row.server : baseline;
  return sameRow(results, baselineKind ?? row.kind, row.size).find((r) => r.server === server);
}

/** How the "vs best peer" headers name it: the peer itself when there is only one. */
function peersName(kind: Kind): string {
  const [only, ...others] = KINDS[kind].peers;
  return only !== undefined && others.length === 0 ? label(only) : "best";
}

function alignedTable(headers: readonly string[], rows: readonly string[][], textColumns: number) {
  const all = [[...headers], ...rows];
  const widths = headers.map((_, column) =>
    Math.max(...all.map((cells) => (cells[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column < textColumns ? cell.padEnd(width) : cell.padStart(width);
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

/**
 * One scenario's table: its rows, figures, ratios to the baseline and to the best peer, then
 * a line per scenario skipped on purpose (alone, when nothing of the kind ran).
 */
export function formatKindTable(
  kind: Kind,
  results: readonly RunResult[],
  skipped: readonly Skip[] = [],
): string | undefined {
  const spec = TABLES[kind];
  const { baseline, baselineName, title } = KINDS[kind];
  const rows = results.filter((r) => r.kind === kind);
  const skips = skipped
    .filter((s) => s.kind === kind)
    .map((s) => `${s.server}${s.size === undefined ? "" : ` ${s.size}`}: skipped: ${s.reason}`);
  if (rows.length === 0) return skips.length === 0 ? undefined : [title, ...skips].join("\n");
  const vsBase = baselineName ?? (baseline === "raw-ws" ? "raw" : label(baseline));
  const best = hasBestColumns(kind);
  const headers = [
    "server",
    "size",
    ...spec.columns.map((c) => c.header),
    ...spec.ratios.map((r) => `${r.name} vs ${vsBase}`),
    ...(best ? spec.ratios.map((r) => `${r.name} vs ${peersName(kind)}`) : []),
  ];
  const cells = rows.map((row) => {
    const peers = sameRow(results, kind, row.size);
    const base = baselineRow(results, row);
    return [
      isNoisy(row) ? `${label(row.server)} *` : label(row.server),
      row.size,
      ...spec.columns.map((c) => format(value(row, c.metric), c.digits)),
      ...spec.ratios.map((r) => ratioText(ratio(value(row, r.metric), value(base, r.metric)))),
      ...(best
        ? spec.ratios.map((r) =>
            ratioText(ratio(value(row, r.metric), bestPeer(peers, kind, r.metric)?.value)),
          )
        : []),
    ];
  });
  const notes = rows.some(isNoisy)
    ? ["* other processes competed for the cores during this run"]
    : [];
  return [`${title}`, alignedTable(headers, cells, 2), ...notes, ...skips].join("\n");
}

export function formatTables(results: readonly RunResult[], skipped: readonly Skip[] = []): string {
  const kinds = Object.keys(KINDS) as Kind[];
  return kinds.flatMap((kind) => formatKindTable(kind, results, skipped) ?? []).join("\n\n");
}

// --- targets -----------------------------------------------------------------

interface Target {
  text: string;
  kind: Kind;
  metric: MetricName;
  against: "best" | "baseline";
  /** The ratio to reach: at least this for higher-is-better metrics, at most for the others. */
  limit: number;
}

export const TARGETS: readonly Target[] = [
  {
    text: "deliveries/s ≥ 1.1× best peer",
    kind: "fanout",
    metric: "deliveriesPerSec",
    against: "best",
    limit: 1.1,
  },
  {
    text: "server CPU per delivery ≤ 0.8× best peer",
    kind: "fanout",
    metric: "cpuUsPerDelivery",
    against: "best",
    limit: 0.8,
  },
  {
    text: "broadcast p99 ≤ 1.0× best peer",
    kind: "fanout",
    metric: "p99Ms",
    against: "best",
    limit: 1.0,
  },
  { text: "p99 ≤ 1.2× raw ws", kind: "echo", metric: "p99Ms", against: "baseline", limit: 1.2 },
  {
    text: "RSS per idle connection ≤ 1.5× raw ws",
    kind: "idle",
    metric: "rssKbPerConn",
    against: "baseline",
    limit: 1.5,
  },
];

export interface Verdict {
  target: string;
  kind: Kind;
  size: string;
  /** undefined: not measured in this run (a row missing). */
  holds: boolean | undefined;
  detail: string;
}

const KIND_NAMES: Readonly<Record<Kind, string>> = {
  fanout: "fan-out",
  crossnode: "cross-node",
  rooms: "rooms",
  echo: "echo",
  idle: "idle",
  churn: "churn",
  sse: "SSE",
};

function meets(metric: MetricName, r: number, limit: number): boolean {
  return HIGHER_IS_BETTER.has(metric) ? r >= limit : r <= limit;
}

/** Every target, for every size measured, plus "strictly better than Socket.IO" on every row. */
export function evaluateTargets(results: readonly RunResult[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const sizes = (kind: Kind): string[] => [
    ...new Set(results.filter((r) => r.kind === kind).map((r) => r.size)),
  ];
  for (const target of TARGETS) {
    for (const size of sizes(target.kind)) {
      const rows = sameRow(results, target.kind, size);
      const mine = value(
        rows.find((r) => r.server === SUBJECT),
        target.metric,
      );
      const ref =
        target.against === "best"
          ? bestPeer(rows, target.kind, target.metric)
          : (() => {
              const server = KINDS[target.kind].baseline;
              const v = value(
                rows.find((r) => r.server === server),
                target.metric,
              );
              return v === undefined ? undefined : { server, value: v };
            })();
      const r = ratio(mine, ref?.value);
      verdicts.push({
        target: `${KIND_NAMES[target.kind]} ${size}: ${target.text}`,
        kind: target.kind,
        size,
        holds: r === undefined ? undefined : meets(target.metric, r, target.limit),
        detail:
          r === undefined || !ref ? "not measured" : `${ratioText(r)} of ${label(ref.server)}`,
      });
    }
  }
  const kinds = (Object.keys(KINDS) as Kind[]).filter((k) =>
    KINDS[k].participants.includes("socket.io"),
  );
  for (const kind of kinds) {
    for (const size of sizes(kind)) {
      const rows = sameRow(results, kind, size);
      const mine = rows.find((r) => r.server === SUBJECT);
      const theirs = rows.find((r) => r.server === "socket.io");
      const parts = TABLES[kind].ratios.map(({ name, metric }) => {
        const r = ratio(value(mine, metric), value(theirs, metric));
        return {
          name,
          r,
          better: r !== undefined && (HIGHER_IS_BETTER.has(metric) ? r > 1 : r < 1),
        };
      });
      const measuredAll = parts.every((p) => p.r !== undefined);
      verdicts.push({
        target: `${KIND_NAMES[kind]} ${size}: strictly better than Socket.IO`,
        kind,
        size,
        holds: measuredAll ? parts.every((p) => p.better) : undefined,
        detail: measuredAll
          ? parts.map((p) => `${p.name} ${ratioText(p.r)}`).join(", ")
          : "not measured",
      });
    }
  }
  return verdicts;
}

export function formatVerdicts(verdicts: readonly Verdict[]): string {
  if (verdicts.length === 0)
    return "targets: nothing to judge (switchboard or its peers did not run)";
  const mark = (v: Verdict): string => (v.holds === undefined ? "n/a " : v.holds ? "ok  " : "MISS");
  const width = Math.max(...verdicts.map((v) => v.target.length));
  const held = verdicts.filter((v) => v.holds === true).length;
  const judged = verdicts.filter((v) => v.holds !== undefined).length;
  return [
    `targets for ${label(SUBJECT)} (ratios within this run; ${held} of ${judged} hold):`,
    ...verdicts.map((v) => `  [${mark(v)}] ${v.target.padEnd(width)}  ${v.detail}`),
  ].join("\n");
}

export function formatMachine(machine: Machine): string {
  return [
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.totalMemMb} MB`,
    `node ${machine.node} on ${machine.platform}, open files limit ${machine.openFilesLimit ?? "unknown"}`,
  ].join("\n");
}

/** Writes the report to bench/results/<timestamp>.json and returns the path. */
export async function saveReport(report: Report): Promise<string> {
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  await mkdir(dir, { recursive: true });
  const file = `${dir}${report.startedAt.replace(/[:.]/g, "-")}.json`;
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
