/**
 * The part every benchmarked server shares: it starts the server in the mode
 * it was forked for, tells the runner where it listens, and answers the
 * runner's measurement requests about this very process (resident memory,
 * CPU time over the measured window, connections held).
 *
 * Measuring from inside the server process is what makes "CPU per delivery"
 * attributable: the load process runs on the same two cores and its work
 * must not be counted against the server.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Endpoint,
  isTagged,
  SERVER_MODES,
  type ServerCommand,
  type ServerMode,
  type ServerReply,
} from "../ipc.js";

/** Idle time before an RSS reading, so sockets opened just now have settled. */
const SETTLE_MS = 500;

const COMMANDS: ReadonlySet<string> = new Set<ServerCommand["type"]>([
  "rss",
  "cpu.start",
  "cpu.stop",
  "connections",
  "exit",
]);

/** What a server gives the harness once it listens. */
export interface Started extends Endpoint {
  /** Clients connected right now (WebSocket clients, Socket.IO sockets or SSE streams). */
  connections: () => number;
}

function reply(message: ServerReply, then?: () => void): void {
  process.send?.(message, undefined, undefined, then);
}

function isCommand(value: unknown): value is ServerCommand {
  return isTagged(value) && COMMANDS.has(value.type);
}

function isMode(value: string | undefined): value is ServerMode {
  return SERVER_MODES.some((mode) => mode === value);
}

/** The monotonic clock in µs: the clock V8 stamps CPU profile samples with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

async function readRss(): Promise<ServerReply> {
  await sleep(SETTLE_MS);
  // Two passes: the first can leave weak/finalizable objects for the second.
  globalThis.gc?.();
  globalThis.gc?.();
  return { type: "rss", rss: process.memoryUsage().rss, gc: globalThis.gc !== undefined };
}

/**
 * Runs `start` for the mode named by the first argument and serves the runner.
 * A server that does not support the mode rejects, and the runner reports why.
 */
export function serve(start: (mode: ServerMode) => Promise<Started>): void {
  if (!process.send) throw new Error("harness: must be started by bench/run.ts (no IPC channel)");
  // The runner going away (crash, kill) must take the server with it.
  process.on("disconnect", () => process.exit(0));

  let started: Started | undefined;
  let windowStart: NodeJS.CpuUsage | undefined;
  process.on("message", (message: unknown) => {
    if (!isCommand(message)) return;
    switch (message.type) {
      case "rss":
        readRss().then(reply, (error: unknown) => reply({ type: "error", message: String(error) }));
        break;
      case "cpu.start":
        windowStart = process.cpuUsage();
        reply({ type: "cpu.started", atUs: monotonicUs() });
        break;
      case "cpu.stop": {
        const atUs = monotonicUs();
        if (!windowStart) {
          reply({ type: "error", message: "cpu.stop without cpu.start" });
          break;
        }
        const spent = process.cpuUsage(windowStart);
        reply({ type: "cpu", userUs: spent.user, systemUs: spent.system, atUs });
        windowStart = undefined;
        break;
      }
      case "connections":
        reply({ type: "connections", count: started?.connections() ?? 0 });
        break;
      case "exit":
        // A normal exit, so that `--cpu-prof` writes the profile (a kill would lose it).
        process.exit(0);
    }
  });

  const mode = process.argv[2];
  const starting = isMode(mode)
    ? start(mode)
    : Promise.reject(new Error(`unknown mode ${JSON.stringify(mode)}`));
  starting.then(
    (server) => {
      started = server;
      const endpoint: Endpoint = { url: server.url };
      if (server.publishUrl !== undefined) endpoint.publishUrl = server.publishUrl;
      reply({ type: "listening", ...endpoint });
    },
    (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      // Exit only once the runner has the reason, or it would just see "exited".
      reply({ type: "error", message: `server failed to start: ${text}` }, () => process.exit(1));
    },
  );
}

/** Rejects a mode the server takes no part in, with a message that says so. */
export function unsupported(server: string, mode: ServerMode): never {
  throw new Error(`${server} takes no part in the "${mode}" scenario`);
}
