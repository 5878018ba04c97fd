/**
 * One soak load process: `plan.clients` churning clients (see `clients.ts`), mixed over the
 * transports as the plan says, for as long as the runner lets them churn.
 */
import {
  type ClientPlan,
  counts,
  EventSourceClient,
  mode,
  type SoakClient,
  settledWaiters,
  TcpClient,
  WebSocketClient,
} from "./clients.js";
import type { LoadCommand, LoadReply, LoadSample } from "./ipc.js";

function reply(message: LoadReply): void {
  process.send?.(message);
}

if (!process.send) throw new Error("soak load: must be started by bench/soak/run.ts");
process.on("disconnect", () => process.exit(0));

/** mulberry32: small, fast, seedable. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const clients: SoakClient[] = [];

function sample(): LoadSample {
  return { open: clients.filter((client) => client.open).length, ...counts };
}

/** Resolves once every client of `group` is settled (none connecting or closing). */
function whenSettled(group: readonly SoakClient[]): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!group.every((client) => client.settled)) return;
      settledWaiters.delete(check);
      resolve();
    };
    settledWaiters.add(check);
    check();
  });
}

process.on("message", (command: LoadCommand) => {
  switch (command.type) {
    case "start": {
      const rand = random(command.seed);
      const plan: ClientPlan = command;
      mode.churning = true;
      mode.reconnecting = true;
      // Spread the transports evenly through the list, so every ramp batch has each.
      const tcpEvery = command.tcpShare > 0 ? Math.round(1 / command.tcpShare) : 0;
      const sseEvery = command.sseShare > 0 ? Math.round(1 / command.sseShare) : 0;
      for (let i = 0; i < command.clients; i++) {
        if (tcpEvery > 0 && i % tcpEvery === 1) clients.push(new TcpClient(plan, rand));
        else if (sseEvery > 0 && i % sseEvery === 2)
          clients.push(new EventSourceClient(plan, rand));
        else clients.push(new WebSocketClient(plan, rand));
      }
      // Ramp up in batches: each batch starts when the previous one has settled.
      const ramp = async () => {
        for (let i = 0; i < clients.length; i += command.rampBatch) {
          const batch = clients.slice(i, i + command.rampBatch);
          for (const client of batch) client.connect();
          await whenSettled(batch);
        }
        reply({ type: "started", clients: clients.length });
      };
      ramp().catch((error: unknown) => reply({ type: "error", message: String(error) }));
      break;
    }
    case "pause":
      mode.churning = false;
      for (const client of clients) client.quiet();
      whenSettled(clients).then(() => reply({ type: "paused", ...sample() }));
      break;
    case "stop":
      mode.churning = false;
      mode.reconnecting = false;
      for (const client of clients) {
        client.quiet();
        client.leave(true);
      }
      whenSettled(clients).then(() => reply({ type: "stopped", ...sample() }));
      break;
    case "stats":
      reply({ type: "stats", ...sample() });
      break;
  }
});
