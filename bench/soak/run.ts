/**
 * The soak test: `npm run soak` (builds first), or `npx tsx bench/soak/run.ts` after a build.
 *
 *   --seconds N     how long the churning load runs after the ramp-up (default 60)
 *   --clients N     clients in all, split over the load processes (default 2000)
 *   --processes N   load processes, 1 or 2 (default 2)
 *   --seed N        seeds the load's random choices (default 1)
 *
 * A broker runs in one child process (the compiled dist, `--expose-gc`), the clients in one or
 * two others: 80 % WebSocket, 10 % TCP, 10 % SSE, over 50 rooms. The clients churn (connect,
 * leave cleanly or vanish, reconnect), join and leave rooms and broadcast to them. Every 5 s the
 * runner prints the broker's RSS and heap (after a full GC), its connection actors (with the
 * WebSocket/TCP/SSE split), the clients open, rooms, and per second: broadcasts the broker was
 * asked for, deliveries they were addressed to, frames the clients received, connects.
 *
 * It exits 1 when:
 * - after warm-up, RSS keeps growing (see `verdict.ts`: last third ≤ 1.25 × first third);
 * - when the load pauses, the broker's actors do not come back to the clients actually open;
 * - when every client has disconnected, actors, handles or rooms do not reach 0;
 * - a child process fails.
 * Not part of `npm test` or CI: it takes minutes and wants the machine to itself.
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Child, killAllChildren } from "../child.js";
import type {
  LoadCommand,
  LoadPlan,
  LoadReply,
  LoadSample,
  ServerSample,
  SoakServerCommand,
  SoakServerReply,
} from "./ipc.js";
import { judgeMemory, type MemoryReading, warmUpSeconds } from "./verdict.js";

const INTERVAL_MS = 5_000;
/** How long the broker may take to catch up with a pause or a full disconnect. */
const SETTLE_LIMIT_MS = 15_000;

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    clients: { type: "string", default: "2000" },
    processes: { type: "string", default: "2" },
    seed: { type: "string", default: "1" },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const processes = Number(values.processes);
const seed = Number(values.seed);
if (!(seconds > 0) || !(clients > 0) || (processes !== 1 && processes !== 2)) {
  console.error("usage: tsx bench/soak/run.ts [--seconds N] [--clients N] [--processes 1|2]");
  process.exit(2);
}
if (!existsSync(fileURLToPath(new URL("../../dist/src/index.js", import.meta.url)))) {
  console.error("dist/ is missing: run `npm run build` first (`npm run soak` does)");
  process.exit(2);
}

process.on("exit", killAllChildren);
process.on("SIGINT", () => process.exit(130));

type Server = Child<SoakServerCommand, SoakServerReply>;
type Load = Child<LoadCommand, LoadReply>;

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);

async function serverStats(server: Server): Promise<ServerSample> {
  const { type: _type, ...sample } = await server.request({ type: "stats" }, "stats", 10_000);
  return sample;
}

async function loadStats(loads: readonly Load[]): Promise<LoadSample> {
  const samples = await Promise.all(
    loads.map((load) => load.request({ type: "stats" }, "stats", 10_000)),
  );
  return sum(samples);
}

function sum(samples: readonly LoadSample[]): LoadSample {
  const total: LoadSample = {
    open: 0,
    connects: 0,
    disconnects: 0,
    sent: 0,
    received: 0,
    failures: 0,
  };
  for (const sample of samples) {
    for (const key of Object.keys(total) as (keyof LoadSample)[]) total[key] += sample[key];
  }
  return total;
}

/** Polls the broker until `done` holds or the limit passes; returns the last sample. */
async function settle(
  server: Server,
  done: (sample: ServerSample) => boolean,
): Promise<{ sample: ServerSample; ok: boolean; ms: number }> {
  const started = performance.now();
  for (;;) {
    const sample = await serverStats(server);
    const ms = Math.round(performance.now() - started);
    if (done(sample)) return { sample, ok: true, ms };
    if (ms > SETTLE_LIMIT_MS) return { sample, ok: false, ms };
    await sleep(250);
  }
}

function row(cells: readonly (string | number)[]): string {
  return cells.map((cell, i) => String(cell).padStart(i === 0 ? 5 : i === 4 ? 14 : 8)).join(" ");
}

async function main(): Promise<number> {
  const failures: string[] = [];
  const server: Server = new Child("soak server", "soak/server.ts", ["--expose-gc"]);
  const { url, origin, tcpPort } = await server.next("listening", 30_000);
  const loads: Load[] = Array.from(
    { length: processes },
    (_, i) => new Child<LoadCommand, LoadReply>(`soak load ${i}`, "soak/load.ts"),
  );
  const plan = (i: number): LoadPlan => ({
    url,
    origin,
    tcpPort,
    tcpShare: 0.1,
    sseShare: 0.1,
    clients: Math.floor(clients / processes) + (i < clients % processes ? 1 : 0),
    rooms: 50,
    roomsPerClient: 2,
    meanLifetimeMs: 8_000,
    meanSayMs: 5_000,
    meanHopMs: 4_000,
    rampBatch: 100,
    seed: seed * 1_000 + i,
  });
  console.log(
    `soak: ${clients} clients in ${processes} process(es), 50 rooms, ${seconds} s, ` +
      `warm-up ${warmUpSeconds(seconds)} s, broker ${url}`,
  );
  const rampStart = performance.now();
  await Promise.all(
    loads.map((load, i) => load.request({ type: "start", ...plan(i) }, "started", 120_000)),
  );
  console.log(
    `ramp-up: ${clients} clients connected in ${Math.round(performance.now() - rampStart)} ms`,
  );

  console.log(
    row([
      "t(s)",
      "rss MB",
      "heap MB",
      "actors",
      "ws/tcp/sse",
      "open",
      "rooms",
      "bcast/s",
      "addr/s",
      "recv/s",
      "conn/s",
    ]),
  );
  const readings: MemoryReading[] = [];
  const start = performance.now();
  const first = await serverStats(server);
  const firstLoad = await loadStats(loads);
  let last = {
    at: start,
    broadcasts: first.broadcasts,
    deliveries: first.deliveries,
    received: firstLoad.received,
    connects: firstLoad.connects,
  };
  while (performance.now() - start < seconds * 1_000) {
    await sleep(Math.min(INTERVAL_MS, seconds * 1_000 - (performance.now() - start)));
    const [sample, load] = await Promise.all([serverStats(server), loadStats(loads)]);
    const now = performance.now();
    const span = (now - last.at) / 1_000;
    const t = (now - start) / 1_000;
    readings.push({ t, rss: sample.rss });
    console.log(
      row([
        t.toFixed(0),
        mb(sample.rss),
        mb(sample.heapUsed),
        sample.actors,
        ["websocket", "tcp", "sse"].map((kind) => sample.byTransport[kind] ?? 0).join("/"),
        load.open,
        sample.rooms,
        Math.round((sample.broadcasts - last.broadcasts) / span),
        Math.round((sample.deliveries - last.deliveries) / span),
        Math.round((load.received - last.received) / span),
        Math.round((load.connects - last.connects) / span),
      ]),
    );
    if (sample.actors !== sample.inspected || sample.actors !== sample.handles) {
      failures.push(
        `t=${t.toFixed(0)} s: supervisor ${sample.actors} actors, inspect() ${sample.inspected}, ` +
          `clients ${sample.handles}: the views disagree`,
      );
    }
    last = {
      at: now,
      broadcasts: sample.broadcasts,
      deliveries: sample.deliveries,
      received: load.received,
      connects: load.connects,
    };
  }

  // Pause: no more churn or sends; every client ends up open. The actors must match them.
  const paused = sum(
    await Promise.all(loads.map((load) => load.request({ type: "pause" }, "paused", 60_000))),
  );
  const reconciled = await settle(
    server,
    (s) => s.actors === paused.open && s.handles === paused.open && s.inspected === paused.open,
  );
  console.log(
    `paused: ${paused.open} clients open; broker ${reconciled.sample.actors} actors, ` +
      `${reconciled.sample.handles} handles after ${reconciled.ms} ms`,
  );
  if (!reconciled.ok) {
    failures.push(
      `leak: ${paused.open} clients open but the broker holds ${reconciled.sample.actors} actors ` +
        `(${reconciled.sample.inspected} inspected, ${reconciled.sample.handles} handles)`,
    );
  }

  // Stop: every client disconnects. Nothing may be left.
  const stopped = sum(
    await Promise.all(loads.map((load) => load.request({ type: "stop" }, "stopped", 60_000))),
  );
  const emptied = await settle(
    server,
    (s) => s.actors === 0 && s.handles === 0 && s.inspected === 0 && s.rooms === 0,
  );
  console.log(
    `stopped: ${stopped.open} clients open; broker ${emptied.sample.actors} actors, ` +
      `${emptied.sample.handles} handles, ${emptied.sample.rooms} rooms after ${emptied.ms} ms; ` +
      `RSS ${mb(emptied.sample.rss)} MB, heap ${mb(emptied.sample.heapUsed)} MB`,
  );
  if (!emptied.ok) {
    failures.push(
      `leak: every client is gone but the broker holds ${emptied.sample.actors} actors, ` +
        `${emptied.sample.handles} handles, ${emptied.sample.rooms} rooms`,
    );
  }
  console.log(
    `totals: ${stopped.connects} connects, ${stopped.disconnects} disconnects, ` +
      `${stopped.failures} failed connects, ${stopped.sent} broadcasts sent, ` +
      `${emptied.sample.deliveries} deliveries addressed, ${stopped.received} received`,
  );
  if (!emptied.sample.gc) failures.push("the broker ran without --expose-gc: RSS is not post-GC");

  const memory = judgeMemory(readings, warmUpSeconds(seconds));
  console.log(memory.text);
  if (!memory.ok) failures.push(memory.text);

  await Promise.all([server, ...loads].map((child) => child.kill()));
  for (const failure of failures) console.error(`FAIL ${failure}`);
  console.log(failures.length === 0 ? "soak: PASS" : `soak: FAIL (${failures.length})`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("soak: FAIL", error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
