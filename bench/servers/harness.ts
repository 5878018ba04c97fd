/**
 * The part every benchmarked server shares: it starts the server, tells the
 * runner its URL, and answers the runner's measurement requests about this
 * very process (resident memory, CPU time over the measured window).
 *
 * Measuring from inside the server process is what makes "CPU per delivery"
 * attributable: the load process runs on the same two cores and its work
 * must not be counted against the server.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isTagged, type ServerCommand, type ServerReply } from "../ipc.js";

/** Idle time before an RSS reading, so sockets opened just now have settled. */
const SETTLE_MS = 500;

function reply(message: ServerReply, then?: () => void): void {
  process.send?.(message, undefined, undefined, then);
}

function isCommand(value: unknown): value is ServerCommand {
  return isTagged(value) && ["rss", "cpu.start", "cpu.stop"].includes(value.type);
}

async function readRss(): Promise<ServerReply> {
  await sleep(SETTLE_MS);
  // Two passes: the first can leave weak/finalizable objects for the second.
  globalThis.gc?.();
  globalThis.gc?.();
  return { type: "rss", rss: process.memoryUsage().rss, gc: globalThis.gc !== undefined };
}

/** Runs `start` (which must resolve to the WebSocket URL) and serves the runner. */
export function serve(start: () => Promise<string>): void {
  if (!process.send) throw new Error("harness: must be started by bench/run.ts (no IPC channel)");
  // The runner going away (crash, kill) must take the server with it.
  process.on("disconnect", () => process.exit(0));

  let windowStart: NodeJS.CpuUsage | undefined;
  process.on("message", (message: unknown) => {
    if (!isCommand(message)) return;
    switch (message.type) {
      case "rss":
        readRss().then(reply, (error: unknown) => reply({ type: "error", message: String(error) }));
        break;
      case "cpu.start":
        windowStart = process.cpuUsage();
        reply({ type: "cpu.started" });
        break;
      case "cpu.stop": {
        if (!windowStart) {
          reply({ type: "error", message: "cpu.stop without cpu.start" });
          break;
        }
        const spent = process.cpuUsage(windowStart);
        reply({ type: "cpu", userUs: spent.user, systemUs: spent.system });
        windowStart = undefined;
        break;
      }
    }
  });

  start().then(
    (url) => reply({ type: "listening", url }),
    (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      // Exit only once the runner has the reason, or it would just see "exited".
      reply({ type: "error", message: `server failed to start: ${text}` }, () => process.exit(1));
    },
  );
}
