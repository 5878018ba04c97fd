/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and sums self time
 * per function (name + url:line), within the scenario's measured window when
 * the profile covers it: startup, connecting and warm-up are left out.
 *
 * V8 stamps samples with the monotonic clock `process.hrtime` reads, which is
 * how the server harness reports the window's bounds.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  name: string;
  where: string;
  selfMs: number;
  /** Of the busy time counted (idle excluded). */
  share: number;
}

export interface ProfileSummary {
  file: string;
  label: string;
  /** Whether only the measured window was counted (else the whole profile). */
  windowOnly: boolean;
  /** Sampled time the thread was busy, and idle (waiting for I/O). */
  busyMs: number;
  idleMs: number;
  frames: Frame[];
}

const ROOT_URL = pathToFileURL(fileURLToPath(new URL("..", import.meta.url))).href;

function isProfile(value: unknown): value is CpuProfile {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<CpuProfile>;
  return Array.isArray(v.nodes) && Array.isArray(v.samples) && Array.isArray(v.timeDeltas);
}

function shortUrl(url: string): string {
  if (url.startsWith(ROOT_URL)) return url.slice(ROOT_URL.length);
  const modules = url.lastIndexOf("/node_modules/");
  return modules === -1 ? url : url.slice(modules + 1);
}

/** The `count` functions with the most self time between `fromUs` and `toUs`. */
export async function topFrames(
  file: string,
  label: string,
  fromUs: number,
  toUs: number,
  count: number,
): Promise<ProfileSummary> {
  const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
  if (!isProfile(parsed)) throw new Error(`${file}: not a CPU profile`);
  const byId = new Map<number, CallFrame>(parsed.nodes.map((n) => [n.id, n.callFrame]));
  // A window the profile does not cover means the clocks disagree: count everything.
  const windowOnly = fromUs >= parsed.startTime && toUs <= parsed.endTime;
  const self = new Map<string, { name: string; where: string; us: number }>();
  let busy = 0;
  let idle = 0;
  let at = parsed.startTime;
  for (let i = 0; i < parsed.samples.length; i += 1) {
    const delta = parsed.timeDeltas[i] ?? 0;
    at += delta;
    if (windowOnly && (at < fromUs || at > toUs)) continue;
    const frame = byId.get(parsed.samples[i] ?? -1);
    if (!frame) continue;
    if (frame.functionName === "(idle)") {
      idle += delta;
      continue;
    }
    const name = frame.functionName || "(anonymous)";
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : "";
    const key = `${name}\u0000${where}`;
    const entry = self.get(key) ?? { name, where, us: 0 };
    entry.us += delta;
    self.set(key, entry);
    busy += delta;
  }
  const frames = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: e.us / 1000,
      share: busy ? e.us / busy : 0,
    }));
  return { file, label, windowOnly, busyMs: busy / 1000, idleMs: idle / 1000, frames };
}

export function formatProfile(summary: ProfileSummary): string {
  const scope = summary.windowOnly ? "measured window" : "whole process (window not covered)";
  const rows = summary.frames.map(
    (f) =>
      `  ${f.selfMs.toFixed(1).padStart(9)} ms ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}${f.where ? `  ${f.where}` : ""}`,
  );
  return [
    `top ${summary.frames.length} self-time frames, ${summary.label} (${scope}:` +
      ` ${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle):`,
    `  profile: ${summary.file}`,
    ...rows,
  ].join("\n");
}
