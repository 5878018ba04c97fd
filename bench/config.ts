/**
 * What each mode runs. Sizes are chosen so that the slowest server still fits
 * the mode's time budget on a 2-core machine: quick < 2 min and full < 15 min
 * for the whole `npm run bench` (the build included), with every scenario
 * under its own hard timeout and the whole run under the mode's budget.
 */
import type { Dialect } from "./ipc.js";

/** The servers: how tables name them, and the script that runs each (relative to bench/). */
export const SERVERS = {
  "raw-ws": { label: "raw ws", script: "./servers/raw-ws.ts" },
  "raw-ws-prebuilt": { label: "raw ws prebuilt", script: "./servers/raw-ws-prebuilt.ts" },
  "socket.io": { label: "Socket.IO", script: "./servers/socket-io.ts" },
  switchboard: { label: "switchboard", script: "./servers/switchboard.ts" },
  "sse-baseline": { label: "node SSE", script: "./servers/sse-baseline.ts" },
} as const;

export type ServerId = keyof typeof SERVERS;

/** The server the targets are about. */
export const SUBJECT: ServerId = "switchboard";

export type Kind = "fanout" | "crossnode" | "rooms" | "echo" | "idle" | "churn" | "sse";

export interface KindSpec {
  title: string;
  /** Servers run for this scenario, in run order. */
  participants: readonly ServerId[];
  /** The "vs raw" column's reference. */
  baseline: ServerId;
  /**
   * Where the baseline row is found: this kind's table by default, or another kind's at the
   * same size (cross-node compares with one-node fan-out).
   */
  baselineKind?: Kind;
  /** How the ratio headers name the baseline; default: its server label ("raw" for raw ws). */
  baselineName?: string;
  /**
   * Compare every row with its own server's row (in `baselineKind`) rather than with
   * `baseline`'s: cross-node compares each server with itself on one node.
   */
  baselineIsOwnServer?: boolean;
  /** The "vs best peer" column takes the best of these on each metric (none: no such column). */
  peers: readonly ServerId[];
  /** Server processes per run, clients spread evenly over them; default 1. */
  nodes?: number;
}

const WS_PEERS: readonly ServerId[] = ["raw-ws", "raw-ws-prebuilt", "socket.io"];

/**
 * The pre-built-frame server differs from raw ws only in how it broadcasts, so
 * it runs the broadcasting scenarios only; on echo, idle memory and churn it
 * would be raw ws again (same code), and raw ws stands for both.
 */
export const KINDS: Readonly<Record<Kind, KindSpec>> = {
  fanout: {
    title: "fan-out: every client receives every broadcast",
    participants: ["raw-ws", "raw-ws-prebuilt", "socket.io", "switchboard"],
    baseline: "raw-ws",
    peers: WS_PEERS,
  },
  /**
   * The fan-out workload over two processes of one server sharing a Redis (switchboard's
   * `redisAdapter`, Socket.IO's `@socket.io/redis-adapter`): clients alternate between the
   * nodes, the publisher (client 0) is on node 1, so every broadcast is issued on node 1 and
   * reaches node 2 through one Redis PUBLISH. Each row is compared with its own server's
   * one-node fan-out at the same N in the same run, and switchboard's with Socket.IO's.
   */
  crossnode: {
    title: "cross-node fan-out: two nodes sharing a Redis, broadcasts issued on node 1",
    participants: ["socket.io", "switchboard"],
    baseline: "switchboard",
    baselineKind: "fanout",
    baselineName: "1 node",
    baselineIsOwnServer: true,
    peers: ["socket.io"],
    nodes: 2,
  },
  rooms: {
    title: "rooms: a publisher in every room, each broadcast to its own room",
    participants: ["raw-ws", "raw-ws-prebuilt", "socket.io", "switchboard"],
    baseline: "raw-ws",
    peers: WS_PEERS,
  },
  echo: {
    title: "echo: one client, sequential round trips",
    participants: ["raw-ws", "socket.io", "switchboard"],
    baseline: "raw-ws",
    peers: WS_PEERS,
  },
  idle: {
    title: "idle memory: server RSS per connected, idle client",
    participants: ["raw-ws", "socket.io", "switchboard"],
    baseline: "raw-ws",
    peers: WS_PEERS,
  },
  churn: {
    title: "connection churn: connect, then disconnect, many at once",
    participants: ["raw-ws", "socket.io", "switchboard"],
    baseline: "raw-ws",
    peers: WS_PEERS,
  },
  sse: {
    title: "SSE fan-out: EventSource streams, published to by HTTP POST",
    participants: ["sse-baseline", "switchboard"],
    baseline: "sse-baseline",
    peers: ["sse-baseline"],
  },
};

/** One scenario's size. Warm-up work is unmeasured and lets the JIT settle the hot path. */
export type Workload =
  | { kind: "fanout"; clients: number; messages: number; warmup: number }
  | { kind: "crossnode"; clients: number; messages: number; warmup: number }
  | { kind: "rooms"; rooms: number; perRoom: number; messages: number; warmup: number }
  | { kind: "echo"; messages: number; warmup: number }
  | { kind: "idle"; clients: number }
  | { kind: "churn"; cycles: number; warmup: number }
  | { kind: "sse"; clients: number; messages: number; warmup: number };

/** Broadcasts in flight at most, fan-out, cross-node and SSE (one publisher). */
export const WINDOW = 20;
/**
 * Broadcasts in flight over all rooms: each room's publisher gets an equal share
 * (at least one). 200 broadcasts to 50 clients keep 10,000 deliveries in flight
 * whatever the number of rooms, half of fan-out's 20 × 1,000.
 */
export const ROOMS_IN_FLIGHT = 200;

/** Broadcasts in flight at most per room. */
export function roomWindow(rooms: number): number {
  return Math.max(1, Math.round(ROOMS_IN_FLIGHT / rooms));
}
/** Clients opened concurrently while connecting. */
export const CONNECT_BATCH = 200;
/** Connect/disconnect cycles under way at once in the churn scenario. */
export const CHURN_CONCURRENCY = 50;
/** Above this share of a core used by other processes, a run's figures are flagged. */
export const NOISY_SHARE = 0.2;

export interface Step {
  workload: Workload;
  /**
   * Runs per server. The machine is shared and two cores leave no headroom,
   * so one run can be slowed by a neighbour; the median of three resists that.
   * Quick mode trades it for time.
   */
  repeats: number;
  /** Hard limit for one run: process start to last reply. */
  timeoutMs: number;
}

export interface Mode {
  name: "quick" | "full";
  steps: readonly Step[];
  /**
   * The most time one measured phase may take (broadcasts, round trips or churn cycles): after
   * it nothing new is started, and rates are over what completed. The counts in `steps` are
   * reached first on a fast machine; on a slow one (a 2-core VM delivers 5× less than a
   * workstation) this is what keeps a run within `budgetMs`.
   */
  measureMs: number;
  /** The same bound for a warm-up phase. */
  warmupMs: number;
  /** The runner's limit (the build before it takes ~10 s); repeats that might overrun it are skipped. */
  budgetMs: number;
}

export const QUICK: Mode = {
  name: "quick",
  steps: [
    {
      workload: { kind: "fanout", clients: 1_000, messages: 1_000, warmup: 100 },
      repeats: 1,
      timeoutMs: 30_000,
    },
    {
      workload: { kind: "crossnode", clients: 1_000, messages: 1_000, warmup: 100 },
      repeats: 1,
      timeoutMs: 30_000,
    },
    {
      workload: { kind: "rooms", rooms: 20, perRoom: 50, messages: 300, warmup: 20 },
      repeats: 1,
      timeoutMs: 20_000,
    },
    { workload: { kind: "echo", messages: 5_000, warmup: 500 }, repeats: 1, timeoutMs: 15_000 },
    { workload: { kind: "idle", clients: 5_000 }, repeats: 1, timeoutMs: 30_000 },
    { workload: { kind: "churn", cycles: 2_000, warmup: 200 }, repeats: 1, timeoutMs: 20_000 },
    {
      workload: { kind: "sse", clients: 1_000, messages: 300, warmup: 50 },
      repeats: 1,
      timeoutMs: 20_000,
    },
  ],
  // On a busy 2-core VM the run then takes ~95 s; when it falls behind, the runner shortens the
  // measured phases still to come (see `measureBound` in run.ts) rather than drop the last ones.
  measureMs: 1_500,
  warmupMs: 500,
  budgetMs: 100_000,
};

export const FULL: Mode = {
  name: "full",
  steps: [
    {
      workload: { kind: "fanout", clients: 1_000, messages: 2_000, warmup: 200 },
      repeats: 3,
      timeoutMs: 60_000,
    },
    {
      workload: { kind: "crossnode", clients: 1_000, messages: 2_000, warmup: 200 },
      repeats: 3,
      timeoutMs: 60_000,
    },
    // 5,000 × 500 = 2.5M deliveries: more than the 1,000-client run's 2M, within the budget.
    {
      workload: { kind: "fanout", clients: 5_000, messages: 500, warmup: 50 },
      repeats: 3,
      timeoutMs: 120_000,
    },
    // One run: three would push a full run past its 15-minute budget on a 2-core machine.
    {
      workload: { kind: "crossnode", clients: 5_000, messages: 500, warmup: 50 },
      repeats: 1,
      timeoutMs: 120_000,
    },
    {
      workload: { kind: "rooms", rooms: 100, perRoom: 50, messages: 200, warmup: 20 },
      repeats: 3,
      timeoutMs: 60_000,
    },
    { workload: { kind: "echo", messages: 20_000, warmup: 1_000 }, repeats: 3, timeoutMs: 40_000 },
    { workload: { kind: "idle", clients: 5_000 }, repeats: 1, timeoutMs: 60_000 },
    { workload: { kind: "churn", cycles: 10_000, warmup: 500 }, repeats: 3, timeoutMs: 60_000 },
    {
      workload: { kind: "sse", clients: 1_000, messages: 2_000, warmup: 100 },
      repeats: 3,
      timeoutMs: 60_000,
    },
    {
      workload: { kind: "sse", clients: 5_000, messages: 400, warmup: 50 },
      repeats: 1,
      timeoutMs: 90_000,
    },
  ],
  measureMs: 5_000,
  warmupMs: 2_000,
  budgetMs: 840_000,
};

/** One run of one server on one workload. */
export interface Scenario {
  server: ServerId;
  workload: Workload;
  /** 1-based repetition number, of `repeats`. */
  run: number;
  repeats: number;
  timeoutMs: number;
  /** The mode's bounds on one measured phase and one warm-up phase (`Mode.measureMs`). */
  measureMs: number;
  warmupMs: number;
}

/**
 * Every scenario of a mode in run order: step by step, and within a step the
 * servers alternate run by run, so that each ratio compares runs made close
 * together in time.
 */
export function scenarios(mode: Mode, only: readonly ServerId[]): Scenario[] {
  return mode.steps.flatMap((step) => {
    const servers = KINDS[step.workload.kind].participants.filter(
      (server) => only.length === 0 || only.includes(server),
    );
    return Array.from({ length: step.repeats }, (_, index) =>
      servers.map((server) => ({
        server,
        workload: step.workload,
        run: index + 1,
        repeats: step.repeats,
        timeoutMs: step.timeoutMs,
        measureMs: mode.measureMs,
        warmupMs: mode.warmupMs,
      })),
    ).flat();
  });
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A workload's size as the tables show it. */
export function sizeLabel(workload: Workload): string {
  switch (workload.kind) {
    case "fanout":
    case "crossnode":
    case "sse":
      return `N=${integer.format(workload.clients)}`;
    case "rooms":
      return `${workload.rooms}×${workload.perRoom}`;
    case "echo":
      return `${integer.format(workload.messages)} msgs`;
    case "idle":
      return `N=${integer.format(workload.clients)}`;
    case "churn":
      return `${integer.format(workload.cycles)} cycles`;
  }
}

/** The most connections a workload holds at once (for the open-files check). */
export function peakConnections(workload: Workload): number {
  switch (workload.kind) {
    case "fanout":
    case "crossnode":
    case "sse":
    case "idle":
      return workload.clients;
    case "rooms":
      return workload.rooms * workload.perRoom;
    case "echo":
      return 1;
    case "churn":
      return CHURN_CONCURRENCY;
  }
}

/** How the load process speaks to `server` in a `kind` scenario. */
export function dialectFor(server: ServerId, kind: Kind): Dialect {
  if (kind === "sse") return "sse";
  return server === "socket.io" ? "socket.io" : "ws";
}
