/**
 * One scenario run: start a server child (in the scenario's mode; one per node
 * for cross-node) and a load child, then drive the phases of the scenario's kind:
 *
 * - broadcast kinds (fanout, crossnode, rooms, echo, sse): connect, warm up,
 *   then the measured broadcasts while every server counts its own CPU time
 *   (and, for cross-node, Redis its own);
 * - idle: RSS before and after connecting N clients;
 * - churn: warm-up cycles, then measured cycles until the server holds no
 *   connection any more.
 *
 * All waiting happens against one deadline, so a hung server or client fails
 * the scenario at its hard timeout, with the phase it was stuck in named.
 */
import { readdir, rename, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Child } from "./child.js";
import {
  CHURN_CONCURRENCY,
  CONNECT_BATCH,
  dialectFor,
  KINDS,
  type Kind,
  NOISY_SHARE,
  roomWindow,
  type Scenario,
  SERVERS,
  type ServerId,
  sizeLabel,
  WINDOW,
} from "./config.js";
import type { Endpoint, LoadCommand, LoadReply, ServerCommand, ServerReply } from "./ipc.js";
import { machineBusyMs } from "./machine.js";
import { isLocal, REDIS_URL, RedisCpu } from "./redis.js";

/** Where `--cpu-prof` profiles go (git-ignored with the rest of results/). */
export const PROFILE_DIR = fileURLToPath(new URL("./results/profiles/", import.meta.url));

/** Every figure a row can show; each kind fills the ones it measures. */
export type MetricName =
  | "deliveriesPerSec"
  | "p50Ms"
  | "p99Ms"
  | "maxMs"
  /**
   * Server CPU µs per delivery, which is also CPU seconds per million deliveries (over
   * every node for cross-node).
   */
  | "cpuUsPerDelivery"
  /** Cross-node: the Redis server's CPU µs per delivery. */
  | "redisCpuUsPerDelivery"
  | "roundTripsPerSec"
  | "rssKbPerConn"
  | "cyclesPerSec"
  | "cpuUsPerCycle";

export type Metrics = Partial<Record<MetricName, number>>;

export interface RunResult {
  kind: Kind;
  server: ServerId;
  /** The size as tables show it ("N=1,000", "20×50", …); rows are grouped by it. */
  size: string;
  run: number;
  metrics: Metrics;
  /** Everything else measured, for the run line and the JSON. */
  details: Record<string, number>;
  /**
   * Cores' worth of CPU other processes used during the measured window; above
   * NOISY_SHARE the row is flagged.
   */
  otherCoreShare: number;
  /**
   * With `--cpu-prof`: the server's profile (cross-node: node 1's, the publishing node) and
   * the measured window in its clock (µs).
   */
  profile?: { file: string; fromUs: number; toUs: number };
}

export interface RunOptions {
  cpuProf: boolean;
}

type Server = Child<ServerCommand, ServerReply>;
type Load = Child<LoadCommand, LoadReply>;

/** The window's CPU bookkeeping, shared by every kind with a measured window. */
interface Window {
  /** Over every server process (node). */
  serverCpuUs: number;
  /** Each node's share of `serverCpuUs`, in node order. */
  nodeCpuUs: number[];
  /** The Redis server's CPU, when the scenario has one; counted on this machine only if local. */
  redisCpuUs: number | undefined;
  redisLocal: boolean;
  /** The window in the first server's monotonic clock (its profile's). */
  fromUs: number;
  toUs: number;
  busyUs: number;
}

async function measured<T>(
  servers: readonly Server[],
  left: () => number,
  work: () => Promise<T>,
  redis?: RedisCpu,
) {
  const busyBefore = machineBusyMs();
  const redisBefore = await redis?.usedUs();
  const started = await Promise.all(
    servers.map((server) => server.request({ type: "cpu.start" }, "cpu.started", left())),
  );
  const value = await work();
  const cpu = await Promise.all(
    servers.map((server) => server.request({ type: "cpu.stop" }, "cpu", left())),
  );
  const redisAfter = await redis?.usedUs();
  const nodeCpuUs = cpu.map((c) => c.userUs + c.systemUs);
  const window: Window = {
    serverCpuUs: nodeCpuUs.reduce((sum, us) => sum + us, 0),
    nodeCpuUs,
    redisCpuUs:
      redisBefore === undefined || redisAfter === undefined ? undefined : redisAfter - redisBefore,
    redisLocal: isLocal(REDIS_URL),
    fromUs: started[0]?.atUs ?? 0,
    toUs: cpu[0]?.atUs ?? 0,
    busyUs: (machineBusyMs() - busyBefore) * 1000,
  };
  return { value, window };
}

function otherShare(window: Window, loadCpuUs: number, wallMs: number): number {
  const redis = window.redisLocal ? (window.redisCpuUs ?? 0) : 0;
  return Math.max(0, window.busyUs - window.serverCpuUs - redis - loadCpuUs) / 1000 / wallMs;
}

function profileName(scenario: Scenario): string {
  const size = sizeLabel(scenario.workload).replace(/[^A-Za-z0-9]+/g, "");
  return `${scenario.server}-${scenario.workload.kind}-${size}-run${scenario.run}.cpuprofile`;
}

/**
 * Node names each thread's profile `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`.
 * Thread 0 is the server; the others are tsx's module loader thread. Keeps the
 * server's under `name` and drops the loader's. Returns the kept file, if any.
 */
async function keepProfile(pid: number, name: string): Promise<string | undefined> {
  const mine = (await readdir(PROFILE_DIR)).filter((file) =>
    new RegExp(`^CPU\\.\\d+\\.\\d+\\.${pid}\\.\\d+\\.\\d+\\.cpuprofile$`).test(file),
  );
  let kept: string | undefined;
  for (const file of mine) {
    if (file.split(".")[4] === "0") {
      kept = `${PROFILE_DIR}${name}`;
      await rename(`${PROFILE_DIR}${file}`, kept);
    } else {
      await rm(`${PROFILE_DIR}${file}`, { force: true });
    }
  }
  return kept;
}

/** Waits until the server holds no connection (the far side of every close is done). */
async function drained(server: Server, left: () => number): Promise<void> {
  for (;;) {
    const { count } = await server.request({ type: "connections" }, "connections", left());
    if (count === 0) return;
    await sleep(5);
  }
}

type Measure = Pick<RunResult, "metrics" | "details" | "otherCoreShare"> & { window?: Window };

/**
 * With several nodes, checks that the clients are spread as the load process spreads them
 * (in turn, so an even split, the odd one on node 1) and returns each node's count as details:
 * a cross-node figure is only that if half the receivers really sit on the other node.
 */
async function nodeSplit(
  servers: readonly Server[],
  clients: number,
  left: () => number,
): Promise<Record<string, number>> {
  if (servers.length < 2) return {};
  const counts = await Promise.all(
    servers.map((server) => server.request({ type: "connections" }, "connections", left())),
  );
  const split: Record<string, number> = {};
  counts.forEach(({ count }, index) => {
    const expected = Math.ceil((clients - index) / servers.length);
    if (count !== expected) {
      throw new Error(`node ${index + 1} holds ${count} clients, expected ${expected}`);
    }
    split[`node${index + 1}Clients`] = count;
  });
  return split;
}

/** What a kind's phases work with. */
interface Setup {
  scenario: Scenario;
  /** One per node; the first is the only one for single-node kinds. */
  servers: readonly [Server, ...Server[]];
  load: Load;
  /** Where each node listens, in node order. */
  endpoints: readonly [Endpoint, ...Endpoint[]];
  left: () => number;
  /** Cross-node: reads the shared Redis's CPU time around the measured window. */
  redis: RedisCpu | undefined;
}

async function broadcastKind(setup: Setup): Promise<Measure> {
  const { scenario, servers, load, endpoints, left, redis } = setup;
  const { workload } = scenario;
  if (workload.kind === "idle" || workload.kind === "churn") throw new Error("not a broadcast");
  const groups = workload.kind === "rooms" ? workload.rooms : 1;
  const groupSize =
    workload.kind === "rooms" ? workload.perRoom : workload.kind === "echo" ? 1 : workload.clients;
  const window =
    workload.kind === "rooms" ? roomWindow(workload.rooms) : workload.kind === "echo" ? 1 : WINDOW;
  const connect: LoadCommand = {
    type: "connect",
    dialect: dialectFor(scenario.server, workload.kind),
    endpoints,
    groups,
    groupSize,
    batch: CONNECT_BATCH,
  };
  const connected = await load.request(connect, "connected", left());
  const warm: LoadCommand = {
    type: "broadcast",
    messages: workload.warmup,
    window,
    measure: false,
    maxMs: scenario.warmupMs,
  };
  await load.request(warm, "broadcast.done", left());
  // After the warm-up every client has been served, so each node has registered its own.
  const split = await nodeSplit(servers, groups * groupSize, left);
  const run: LoadCommand = {
    type: "broadcast",
    messages: workload.messages,
    window,
    measure: true,
    maxMs: scenario.measureMs,
  };
  const { value, window: cpu } = await measured(
    servers,
    left,
    () => load.request(run, "broadcast.done", left()),
    redis,
  );
  const { result } = value;
  const seconds = result.wallMs / 1000;
  const metrics: Metrics =
    workload.kind === "echo"
      ? {
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          maxMs: result.maxMs,
          roundTripsPerSec: result.deliveries / seconds,
        }
      : {
          deliveriesPerSec: result.deliveries / seconds,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          maxMs: result.maxMs,
          cpuUsPerDelivery: cpu.serverCpuUs / result.deliveries,
        };
  if (cpu.redisCpuUs !== undefined) {
    metrics.redisCpuUsPerDelivery = cpu.redisCpuUs / result.deliveries;
  }
  // Per node, so a cross-node row shows the publishing node's and the receiving node's cost.
  const perNode: Record<string, number> =
    cpu.nodeCpuUs.length > 1
      ? Object.fromEntries(cpu.nodeCpuUs.map((us, index) => [`node${index + 1}CpuUs`, us]))
      : {};
  const redisDetails: Record<string, number> =
    cpu.redisCpuUs === undefined
      ? {}
      : { redisCpuUs: cpu.redisCpuUs, redisCoreShare: cpu.redisCpuUs / 1000 / result.wallMs };
  return {
    metrics,
    details: {
      deliveries: result.deliveries,
      broadcasts: result.broadcasts,
      wallMs: result.wallMs,
      latencySamples: result.samples,
      serverCpuUs: cpu.serverCpuUs,
      connectMs: connected.ms,
      serverCoreShare: cpu.serverCpuUs / 1000 / result.wallMs,
      loadCoreShare: result.loadCpuUs / 1000 / result.wallMs,
      ...perNode,
      ...split,
      ...redisDetails,
    },
    otherCoreShare: otherShare(cpu, result.loadCpuUs, result.wallMs),
    window: cpu,
  };
}

async function idleKind(setup: Setup): Promise<Measure> {
  const { scenario, servers, load, endpoints, left } = setup;
  const [server] = servers;
  const { workload } = scenario;
  if (workload.kind !== "idle") throw new Error("not idle");
  const before = await server.request({ type: "rss" }, "rss", left());
  const connect: LoadCommand = {
    type: "connect",
    dialect: dialectFor(scenario.server, workload.kind),
    endpoints,
    groups: 1,
    groupSize: workload.clients,
    batch: CONNECT_BATCH,
  };
  const connected = await load.request(connect, "connected", left());
  const after = await server.request({ type: "rss" }, "rss", left());
  return {
    metrics: { rssKbPerConn: (after.rss - before.rss) / 1024 / workload.clients },
    details: {
      rssIdleBytes: before.rss,
      rssConnectedBytes: after.rss,
      gcBeforeRss: before.gc && after.gc ? 1 : 0,
      connectMs: connected.ms,
    },
    otherCoreShare: 0,
  };
}

async function churnKind(setup: Setup): Promise<Measure> {
  const { scenario, servers, load, endpoints, left } = setup;
  const [server] = servers;
  const [endpoint] = endpoints;
  const { workload } = scenario;
  if (workload.kind !== "churn") throw new Error("not churn");
  const churn = (cycles: number, maxMs: number): LoadCommand => ({
    type: "churn",
    dialect: dialectFor(scenario.server, workload.kind),
    endpoint,
    cycles,
    concurrency: CHURN_CONCURRENCY,
    maxMs,
  });
  await load.request(churn(workload.warmup, scenario.warmupMs), "churn.done", left());
  await drained(server, left);
  const { value, window } = await measured([server], left, async () => {
    const started = performance.now();
    const done = await load.request(
      churn(workload.cycles, scenario.measureMs),
      "churn.done",
      left(),
    );
    await drained(server, left);
    return { done, wallMs: performance.now() - started };
  });
  const { done, wallMs } = value;
  return {
    metrics: {
      cyclesPerSec: done.cycles / (wallMs / 1000),
      cpuUsPerCycle: window.serverCpuUs / done.cycles,
    },
    details: {
      cycles: done.cycles,
      wallMs,
      loadWallMs: done.wallMs,
      serverCpuUs: window.serverCpuUs,
      serverCoreShare: window.serverCpuUs / 1000 / wallMs,
      loadCoreShare: done.loadCpuUs / 1000 / wallMs,
    },
    otherCoreShare: otherShare(window, done.loadCpuUs, wallMs),
    window,
  };
}

/**
 * Runs `scenario` to completion or failure within `timeoutMs` (its own limit,
 * or less when the run's budget is nearly spent); its processes are gone
 * either way.
 */
export async function runScenario(
  scenario: Scenario,
  timeoutMs: number,
  options: RunOptions,
): Promise<RunResult> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => deadline - Date.now();
  const { kind } = scenario.workload;
  const size = sizeLabel(scenario.workload);
  const tag = `${SERVERS[scenario.server].label} ${kind} ${size} run ${scenario.run}`;
  const nodes = KINDS[kind].nodes ?? 1;
  // Nodes of one run share a prefix no other run (or other user of the Redis) has.
  const prefix = `bench-${process.pid}-${Date.now().toString(36)}-${kind}-${scenario.server}`;
  const cluster = nodes > 1 ? [REDIS_URL, prefix] : [];

  const script = SERVERS[scenario.server].script;
  const servers = Array.from({ length: nodes }, (_, index): Server => {
    const flags = ["--expose-gc"];
    // Only the first node is profiled: one profile per run, as the report expects.
    if (options.cpuProf && index === 0) flags.push("--cpu-prof", "--cpu-prof-dir", PROFILE_DIR);
    const name = nodes > 1 ? `server node ${index + 1}` : "server";
    return new Child(name, script, flags, [kind, ...cluster]);
  });
  const [server] = servers;
  if (!server) throw new Error(`${tag}: no server to start`);
  // Every process starts at once: their startups overlap instead of adding up.
  const load: Load = new Child("load process", "./load-client.ts");
  let redis: RedisCpu | undefined;
  try {
    const listening = await Promise.all(servers.map((s) => s.next("listening", left())));
    const endpoints = listening.map(
      ({ url, publishUrl }): Endpoint => (publishUrl === undefined ? { url } : { url, publishUrl }),
    );
    const [first, ...others] = endpoints;
    if (!first) throw new Error("no server listened");
    if (nodes > 1) redis = await RedisCpu.open(REDIS_URL);
    const run = kind === "idle" ? idleKind : kind === "churn" ? churnKind : broadcastKind;
    const measure = await run({
      scenario,
      servers: [server, ...servers.slice(1)],
      load,
      endpoints: [first, ...others],
      left,
      redis,
    });
    const result: RunResult = {
      kind,
      server: scenario.server,
      size,
      run: scenario.run,
      metrics: measure.metrics,
      details: measure.details,
      otherCoreShare: measure.otherCoreShare,
    };
    if (options.cpuProf && measure.window && server.pid !== undefined) {
      // A normal exit writes the profile; a kill would lose it.
      server.send({ type: "exit" });
      if (await server.exited(Math.min(15_000, Math.max(0, left())))) {
        const file = await keepProfile(server.pid, profileName(scenario));
        if (file)
          result.profile = { file, fromUs: measure.window.fromUs, toUs: measure.window.toUs };
      }
    }
    return result;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const timedOut =
      left() <= 0 ? ` [hard timeout of ${Math.round(timeoutMs / 1000)} s reached]` : "";
    throw new Error(`${tag}: ${reason}${timedOut}`, { cause: error });
  } finally {
    redis?.close();
    await Promise.all([load.kill(), ...servers.map((s) => s.kill())]);
  }
}

/** Whether a run's figures were skewed by other processes. */
export function isNoisy(result: RunResult): boolean {
  return result.otherCoreShare > NOISY_SHARE;
}
