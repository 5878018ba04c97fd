/** The machine a run happened on, printed with the table and kept in the JSON. */
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  platform: string;
  totalMemMb: number;
  /** Soft per-process limit on open files (Linux), or undefined where unknown. */
  openFilesLimit: number | undefined;
}

/**
 * Reads the soft open-files limit from /proc: Node has no API for it, and
 * every connection costs one descriptor in the server and one in the load process.
 */
function openFilesLimit(): number | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
    if (soft === undefined) return undefined;
    return soft === "unlimited" ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return undefined;
  }
}

export function describeMachine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    openFilesLimit: openFilesLimit(),
  };
}

/**
 * CPU time all cores have spent busy since boot, ms. Compared with what the
 * benchmark's own processes used, it reveals neighbours competing for the
 * cores during a run, which on a shared 2-core machine skews every figure.
 */
export function machineBusyMs(): number {
  let busy = 0;
  for (const { times } of os.cpus()) busy += times.user + times.nice + times.sys + times.irq;
  return busy;
}
