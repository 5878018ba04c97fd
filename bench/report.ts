/** Turns results into the printed table and the JSON file; no measuring here. */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { BASELINE, NOISY_SHARE } from "./config.js";
import type { Machine } from "./machine.js";
import type { ScenarioResult } from "./scenario.js";

export interface Failure {
  server: string;
  clients: number;
  run: number;
  error: string;
}

export interface Report {
  startedAt: string;
  mode: "quick" | "full";
  durationMs: number;
  machine: Machine;
  /** One row per server and size: the median run (see aggregate.ts). */
  results: ScenarioResult[];
  /** Every run, in the order made. */
  runs: ScenarioResult[];
  failures: Failure[];
}

const HEADERS = [
  "server",
  "N",
  "deliveries/s",
  "p50 ms",
  "p99 ms",
  "CPU µs/delivery",
  "RSS KB/conn",
  "deliveries vs raw",
  "CPU vs raw",
] as const;

/** Columns holding text are left-aligned; numbers are right-aligned. */
const TEXT_COLUMNS = 1;

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

function ratio(value: number, base: number | undefined): string {
  return base === undefined || base === 0 ? "n/a" : `${(value / base).toFixed(2)}×`;
}

function row(result: ScenarioResult, results: readonly ScenarioResult[]): string[] {
  const base = results.find((r) => r.server === BASELINE && r.clients === result.clients);
  return [
    result.otherCoreShare > NOISY_SHARE ? `${result.server} *` : result.server,
    integer.format(result.clients),
    integer.format(result.deliveriesPerSec),
    fixed(result.p50Ms, 2),
    fixed(result.p99Ms, 2),
    fixed(result.cpuUsPerDelivery, 3),
    fixed(result.rssKbPerConnection, 1),
    ratio(result.deliveriesPerSec, base?.deliveriesPerSec),
    ratio(result.cpuUsPerDelivery, base?.cpuUsPerDelivery),
  ];
}

/** The results as an aligned plain-text table. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = [[...HEADERS], ...results.map((r) => row(r, results))];
  const widths = HEADERS.map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column < TEXT_COLUMNS ? cell.padEnd(width) : cell.padStart(width);
      })
      .join("  ");
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  const [header, ...body] = rows;
  const noisy = results.some((r) => r.otherCoreShare > NOISY_SHARE);
  const footnote = noisy ? ["* other processes competed for the cores during this run"] : [];
  return [line(header ?? []), rule, ...body.map(line), ...footnote].join("\n");
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
