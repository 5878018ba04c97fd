/**
 * `npm run bench [-- --quick] [-- --only raw-ws|switchboard]`: runs every
 * scenario one after another (never in parallel: they would share the two
 * cores), prints one table with ratios to raw ws, and saves the same data as
 * JSON. Exits non-zero if any scenario failed, after reporting the others.
 */
import { parseArgs } from "node:util";
import { medianRuns } from "./aggregate.js";
import { killAllChildren } from "./child.js";
import { FULL, NOISY_SHARE, QUICK, SERVERS, type ServerName, scenarios } from "./config.js";
import { describeMachine } from "./machine.js";
import { type Failure, formatMachine, formatTable, saveReport } from "./report.js";
import { runScenario, type ScenarioResult } from "./scenario.js";

/** Descriptors a process needs beyond one per connection (stdio, IPC, listener, ...). */
const SPARE_DESCRIPTORS = 64;

// Whatever ends this process, its children must not outlive it.
process.on("exit", killAllChildren);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAllChildren();
    console.error(`\nbench: interrupted (${signal})`);
    process.exit(130);
  });
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function isServerName(name: string): name is ServerName {
  return Object.hasOwn(SERVERS, name);
}

function options(): { quick: boolean; only: ServerName[] } {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true, default: [] },
    },
  });
  // `raw-ws` on the command line names the "raw ws" server.
  const only = values.only.map((name) => name.replace("-", " "));
  const unknown = only.filter((name) => !isServerName(name));
  if (unknown.length > 0) {
    const known = Object.keys(SERVERS).map((name) => name.replace(" ", "-"));
    throw new Error(`unknown server ${unknown.join(", ")}; known: ${known.join(", ")}`);
  }
  return { quick: values.quick, only: only.filter(isServerName) };
}

function describeRun(result: ScenarioResult): string {
  return (
    `  ${Math.round(result.deliveriesPerSec).toLocaleString("en-US")} deliveries/s` +
    ` over ${(result.wallMs / 1000).toFixed(1)} s; connected in ${(result.connectMs / 1000).toFixed(1)} s;` +
    ` core use: server ${percent(result.serverCoreShare)}, load process ${percent(result.loadCoreShare)},` +
    ` others ${percent(result.otherCoreShare)}` +
    (result.otherCoreShare > NOISY_SHARE ? " (WARNING: busy machine, figures skewed)" : "")
  );
}

async function main(): Promise<number> {
  const { quick, only } = options();
  const mode = quick ? QUICK : FULL;
  const machine = describeMachine();
  const plan = scenarios(mode, only);
  const started = Date.now();
  const budgetLeft = (): number => started + mode.budgetMs - Date.now();
  console.log(formatMachine(machine));

  const needed = Math.max(...plan.map((s) => s.clients)) + SPARE_DESCRIPTORS;
  if (machine.openFilesLimit !== undefined && machine.openFilesLimit < needed) {
    console.error(
      `bench: open files limit ${machine.openFilesLimit} is below the ${needed} this mode needs` +
        " per process; raise it (ulimit -n) or use --quick",
    );
    return 1;
  }

  const runs: ScenarioResult[] = [];
  const failures: Failure[] = [];
  let skipped = 0;
  for (const scenario of plan) {
    const label = `${scenario.server}, N=${scenario.clients}, M=${scenario.messages}, run ${scenario.run}/${mode.repeats}`;
    // A repeat only improves a figure we already have; never let one overrun the budget.
    if (scenario.run > 1 && budgetLeft() < scenario.timeoutMs) {
      console.log(
        `skipping ${label}: the ${mode.budgetMs / 1000} s budget could not absorb its timeout`,
      );
      skipped += 1;
      continue;
    }
    const timeoutMs = Math.max(1_000, Math.min(scenario.timeoutMs, budgetLeft()));
    console.log(`running ${label} (timeout ${Math.round(timeoutMs / 1000)} s) ...`);
    try {
      const result = await runScenario(scenario, timeoutMs);
      runs.push(result);
      console.log(describeRun(result));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({
        server: scenario.server,
        clients: scenario.clients,
        run: scenario.run,
        error: message,
      });
      console.error(`  FAILED: ${message}`);
    }
  }

  const durationMs = Date.now() - started;
  const results = medianRuns(runs);
  const note =
    mode.repeats > 1
      ? `each row: the median of ${mode.repeats} runs by deliveries/s`
      : "one run each";
  const table = results.length > 0 ? formatTable(results) : "(no scenario completed)";
  const skips = skipped > 0 ? `, ${skipped} repeats skipped` : "";
  console.log(`\n${table}\n(${mode.name} mode, ${note}${skips})\n`);
  const file = await saveReport({
    startedAt: new Date(started).toISOString(),
    mode: mode.name,
    durationMs,
    machine,
    results,
    runs,
    failures,
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
