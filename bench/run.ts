/**
 * `npm run bench [-- --quick] [--only <server>…] [--scenario <kind>…] [--cpu-prof]`: runs
 * every scenario one after another (never in parallel: they would share the
 * two cores), prints one table per scenario with ratios to raw ws and to the
 * best peer, judges the targets, and saves the same data as JSON. Exits
 * non-zero if any scenario failed, after reporting the others. Cross-node
 * scenarios need a Redis (REDIS_URL, default redis://127.0.0.1:6379): without
 * one they are skipped, said so in their table, and do not fail the run.
 */
import { mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { medianRuns } from "./aggregate.js";
import { killAllChildren } from "./child.js";
import {
  FULL,
  KINDS,
  type Kind,
  peakConnections,
  QUICK,
  type Scenario,
  SERVERS,
  type ServerId,
  scenarios,
  sizeLabel,
} from "./config.js";
import { describeMachine } from "./machine.js";
import { formatProfile, type ProfileSummary, topFrames } from "./profile.js";
import { REDIS_URL, unreachable } from "./redis.js";
import {
  evaluateTargets,
  type Failure,
  formatMachine,
  formatTables,
  formatVerdicts,
  type Skip,
  saveReport,
} from "./report.js";
import { isNoisy, PROFILE_DIR, type RunResult, runScenario } from "./scenario.js";

/** Descriptors a process needs beyond one per connection (stdio, IPC, listener, ...). */
const SPARE_DESCRIPTORS = 64;
/** Below this much budget left, a scenario is not started (it could not finish). */
const MIN_SCENARIO_MS = 3_000;
/**
 * What a scenario costs besides its measured phase (processes, connecting, warm-up, exit), as
 * a slow 2-core VM shows it; used to share the budget that is left between the scenarios left.
 */
const SETUP_MS = 3_000;
/** A measured phase is never cut shorter than this, however far behind the run is. */
const MIN_MEASURE_MS = 500;

/**
 * The measured phase this scenario may take: the mode's bound, or less when the run is behind
 * (a busy machine), so that every scenario still gets its turn within the budget rather than
 * the last ones being dropped. `scenariosLeft` includes this one.
 */
function measureBound(scenario: Scenario, budgetLeftMs: number, scenariosLeft: number): Scenario {
  const share = budgetLeftMs / scenariosLeft - SETUP_MS;
  const measureMs = Math.max(MIN_MEASURE_MS, Math.min(scenario.measureMs, share));
  return { ...scenario, measureMs, warmupMs: Math.min(scenario.warmupMs, measureMs) };
}
/** Frames listed per profile. */
const TOP_FRAMES = 15;

// Whatever ends this process, its children must not outlive it.
process.on("exit", killAllChildren);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAllChildren();
    console.error(`\nbench: interrupted (${signal})`);
    process.exit(130);
  });
}

function percent(share: number | undefined): string {
  return share === undefined ? "n/a" : `${Math.round(share * 100)}%`;
}

function isServerId(name: string): name is ServerId {
  return Object.hasOwn(SERVERS, name);
}

interface Options {
  quick: boolean;
  only: ServerId[];
  scenarios: Kind[];
  cpuProf: boolean;
}

function isKind(name: string): name is Kind {
  return Object.hasOwn(KINDS, name);
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true, default: [] },
      scenario: { type: "string", multiple: true, default: [] },
      "cpu-prof": { type: "boolean", default: false },
    },
  });
  const only = values.only.flatMap((names) => names.split(","));
  const unknown = only.filter((name) => !isServerId(name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown server ${unknown.join(", ")}; known: ${Object.keys(SERVERS).join(", ")}`,
    );
  }
  const kinds = values.scenario.flatMap((names) => names.split(","));
  const unknownKinds = kinds.filter((name) => !isKind(name));
  if (unknownKinds.length > 0) {
    throw new Error(
      `unknown scenario ${unknownKinds.join(", ")}; known: ${Object.keys(KINDS).join(", ")}`,
    );
  }
  return {
    quick: values.quick,
    only: only.filter(isServerId),
    scenarios: kinds.filter(isKind),
    cpuProf: values["cpu-prof"],
  };
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** Cross-node: each node's core use and Redis's, which the server figure sums or leaves out. */
function describeNodes(details: Record<string, number>): string {
  const wallUs = (details.wallMs ?? 0) * 1000;
  const shares: string[] = [];
  for (let node = 1; details[`node${node}CpuUs`] !== undefined; node += 1) {
    shares.push(`node ${node} ${percent((details[`node${node}CpuUs`] ?? 0) / wallUs)}`);
  }
  const nodes = shares.length > 0 ? ` (${shares.join(", ")})` : "";
  const redis =
    details.redisCoreShare === undefined ? "" : `, Redis ${percent(details.redisCoreShare)}`;
  return `${nodes}${redis}`;
}

function describeRun(result: RunResult): string {
  const { metrics: m, details: d } = result;
  const figures =
    result.kind === "idle"
      ? `${m.rssKbPerConn?.toFixed(1)} KB/conn; connected in ${((d.connectMs ?? 0) / 1000).toFixed(1)} s`
      : result.kind === "churn"
        ? `${integer.format(m.cyclesPerSec ?? 0)} cycles/s, ${integer.format(d.cycles ?? 0)} cycles over ${((d.wallMs ?? 0) / 1000).toFixed(1)} s`
        : result.kind === "echo"
          ? `${integer.format(m.roundTripsPerSec ?? 0)} round trips/s, ${integer.format(d.broadcasts ?? 0)} of them, p99 ${m.p99Ms?.toFixed(3)} ms`
          : `${integer.format(m.deliveriesPerSec ?? 0)} deliveries/s, ${integer.format(d.broadcasts ?? 0)} broadcasts over ${((d.wallMs ?? 0) / 1000).toFixed(1)} s`;
  const cores =
    d.serverCoreShare === undefined
      ? ""
      : `; core use: server ${percent(d.serverCoreShare)}${describeNodes(d)},` +
        ` load process ${percent(d.loadCoreShare)},` +
        ` others ${percent(result.otherCoreShare)}` +
        (isNoisy(result) ? " (WARNING: busy machine, figures skewed)" : "");
  return `  ${figures}${cores}`;
}

async function main(): Promise<number> {
  const { quick, only, scenarios: kinds, cpuProf } = options();
  const mode = quick ? QUICK : FULL;
  const machine = describeMachine();
  const plan = scenarios(mode, only).filter(
    (s) => kinds.length === 0 || kinds.includes(s.workload.kind),
  );
  if (plan.length === 0) throw new Error("nothing to run: no server takes part in those scenarios");
  const started = Date.now();
  const budgetLeft = (): number => started + mode.budgetMs - Date.now();
  console.log(formatMachine(machine));
  if (cpuProf) {
    await mkdir(PROFILE_DIR, { recursive: true });
    console.log(`--cpu-prof: server profiles go to ${PROFILE_DIR} (profiling slows the servers)`);
  }

  const needed = Math.max(...plan.map((s) => peakConnections(s.workload))) + SPARE_DESCRIPTORS;
  if (machine.openFilesLimit !== undefined && machine.openFilesLimit < needed) {
    console.error(
      `bench: open files limit ${machine.openFilesLimit} is below the ${needed} this mode needs` +
        " per process; raise it (ulimit -n) or use --quick",
    );
    return 1;
  }

  const runs: RunResult[] = [];
  const failures: Failure[] = [];
  const leftOut: Skip[] = [];
  /** Why Redis cannot be used, once asked; asked before the first cross-node run only. */
  let redisDown: Promise<string | undefined> | undefined;
  let skipped = 0;
  for (const [index, planned] of plan.entries()) {
    const scenario = measureBound(planned, budgetLeft(), plan.length - index);
    const { server, workload, run, repeats } = scenario;
    const size = sizeLabel(workload);
    const label = `${workload.kind} ${size}, ${SERVERS[server].label}, run ${run}/${repeats}`;
    if (workload.kind === "crossnode") {
      redisDown ??= unreachable(REDIS_URL);
      const reason = await redisDown;
      if (reason !== undefined) {
        const why = `Redis unreachable at ${REDIS_URL} (${reason})`;
        const who = SERVERS[server].label;
        // Once per server and size, whatever the repeats: every server's row says it is missing.
        const known = leftOut.some(
          (s) => s.kind === workload.kind && s.size === size && s.server === who,
        );
        if (!known) {
          leftOut.push({ kind: workload.kind, size, server: who, reason: why });
          console.log(`skipping ${workload.kind} ${size}, ${who}: ${why}`);
        }
        continue;
      }
    }
    // A repeat only improves a figure we already have; never let one overrun the budget.
    if (run > 1 && budgetLeft() < scenario.timeoutMs) {
      console.log(
        `skipping ${label}: the ${mode.budgetMs / 1000} s budget could not absorb its timeout`,
      );
      skipped += 1;
      continue;
    }
    if (budgetLeft() < MIN_SCENARIO_MS) {
      const error = `${label}: not run, the ${mode.budgetMs / 1000} s budget is spent`;
      failures.push({ server, kind: workload.kind, size, run, error });
      console.error(`  ${error}`);
      continue;
    }
    const timeoutMs = Math.min(scenario.timeoutMs, budgetLeft());
    console.log(`running ${label} (timeout ${Math.round(timeoutMs / 1000)} s) ...`);
    const scenarioStarted = Date.now();
    try {
      const result = await runScenario(scenario, timeoutMs, { cpuProf });
      runs.push(result);
      console.log(
        `${describeRun(result)} [${((Date.now() - scenarioStarted) / 1000).toFixed(1)} s]`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ server, kind: workload.kind, size, run, error: message });
      console.error(`  FAILED: ${message}`);
    }
  }

  const durationMs = Date.now() - started;
  const results = medianRuns(runs);
  const targets = evaluateTargets(results);
  const note = mode.steps.some((s) => s.repeats > 1)
    ? "rows with repeats: the median run by each table's headline figure"
    : "one run each";
  const skips = skipped > 0 ? `, ${skipped} repeats skipped` : "";
  const tables =
    results.length > 0 || leftOut.length > 0
      ? formatTables(results, leftOut)
      : "(no scenario completed)";
  console.log(`\n${tables}\n\n(${mode.name} mode, ${note}${skips})\n`);
  console.log(`${formatVerdicts(targets)}\n`);

  const profiles: ProfileSummary[] = [];
  for (const run of runs) {
    if ((run.kind !== "fanout" && run.kind !== "crossnode") || !run.profile) continue;
    const { file, fromUs, toUs } = run.profile;
    const what = run.kind === "fanout" ? "fan-out" : "cross-node fan-out, node 1 (publishing)";
    const title = `${SERVERS[run.server].label} ${what} ${run.size} run ${run.run}`;
    try {
      const summary = await topFrames(file, title, fromUs, toUs, TOP_FRAMES);
      profiles.push(summary);
      console.log(`${formatProfile(summary)}\n`);
    } catch (error) {
      console.error(`profile ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const file = await saveReport({
    startedAt: new Date(started).toISOString(),
    mode: mode.name,
    durationMs,
    machine,
    results,
    runs,
    failures,
    skipped: leftOut,
    targets,
    profiles,
  });
  console.log(`results: ${file} (run took ${(durationMs / 1000).toFixed(0)} s)`);
  if (failures.length > 0) {
    console.error(`bench: ${failures.length} of ${plan.length} scenarios failed:`);
    for (const failure of failures) console.error(`  - ${failure.error.split("\n")[0]}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
