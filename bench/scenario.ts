/**
 * One scenario: start a server, measure its idle memory, connect N clients
 * from the load process, measure again, warm up, then broadcast M messages
 * while the server counts its own CPU time.
 *
 * All waiting happens against one deadline, so a hung server or client fails
 * the scenario at its hard timeout, with the phase it was stuck in named.
 */
import { Child } from "./child.js";
import { CONNECT_BATCH, type Scenario, SERVERS, WINDOW } from "./config.js";
import type { LoadCommand, LoadReply, ServerCommand, ServerReply } from "./ipc.js";
import { machineBusyMs } from "./machine.js";

export interface ScenarioResult {
  server: string;
  clients: number;
  run: number;
  messages: number;
  deliveries: number;
  wallMs: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  latencySamples: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  cpuUsPerDelivery: number;
  rssIdleBytes: number;
  rssConnectedBytes: number;
  rssKbPerConnection: number;
  /** Whether RSS was read after a forced GC (the server runs with --expose-gc). */
  gcBeforeRss: boolean;
  connectMs: number;
  /**
   * Share of one core each process used during the measured window. On a
   * 2-core machine a load process near 100% means the client side, not the
   * server, set the pace.
   */
  serverCoreShare: number;
  loadCoreShare: number;
  /** Cores' worth of CPU used by everything else on the machine meanwhile (noise). */
  otherCoreShare: number;
}

/**
 * Runs `scenario` to completion or failure within `timeoutMs` (its own limit,
 * or less when the run's budget is nearly spent); its processes are gone
 * either way.
 */
export async function runScenario(scenario: Scenario, timeoutMs: number): Promise<ScenarioResult> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => deadline - Date.now();
  const tag = `${scenario.server} N=${scenario.clients} run ${scenario.run}`;

  const server = new Child<ServerCommand, ServerReply>("server", SERVERS[scenario.server], [
    "--expose-gc",
  ]);
  let load: Child<LoadCommand, LoadReply> | undefined;
  try {
    const { url } = await server.next("listening", left());
    const idle = await server.request({ type: "rss" }, "rss", left());

    load = new Child<LoadCommand, LoadReply>("load process", "./load-client.ts");
    const connectCommand: LoadCommand = {
      type: "connect",
      url,
      clients: scenario.clients,
      batch: CONNECT_BATCH,
    };
    const connected = await load.request(connectCommand, "connected", left());
    const busy = await server.request({ type: "rss" }, "rss", left());

    const warm: LoadCommand = {
      type: "broadcast",
      messages: scenario.warmup,
      window: WINDOW,
      measure: false,
    };
    await load.request(warm, "broadcast.done", left());

    const busyBefore = machineBusyMs();
    await server.request({ type: "cpu.start" }, "cpu.started", left());
    const measured: LoadCommand = {
      type: "broadcast",
      messages: scenario.messages,
      window: WINDOW,
      measure: true,
    };
    const { result } = await load.request(measured, "broadcast.done", left());
    const cpu = await server.request({ type: "cpu.stop" }, "cpu", left());
    const busyUs = (machineBusyMs() - busyBefore) * 1000;

    const cpuUs = cpu.userUs + cpu.systemUs;
    return {
      server: scenario.server,
      clients: scenario.clients,
      run: scenario.run,
      messages: scenario.messages,
      deliveries: result.deliveries,
      wallMs: result.wallMs,
      deliveriesPerSec: result.deliveries / (result.wallMs / 1000),
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      maxMs: result.maxMs,
      latencySamples: result.samples,
      cpuUserUs: cpu.userUs,
      cpuSystemUs: cpu.systemUs,
      cpuUsPerDelivery: cpuUs / result.deliveries,
      rssIdleBytes: idle.rss,
      rssConnectedBytes: busy.rss,
      rssKbPerConnection: (busy.rss - idle.rss) / 1024 / scenario.clients,
      gcBeforeRss: idle.gc && busy.gc,
      connectMs: connected.ms,
      serverCoreShare: cpuUs / 1000 / result.wallMs,
      loadCoreShare: result.loadCpuUs / 1000 / result.wallMs,
      otherCoreShare: Math.max(0, busyUs - cpuUs - result.loadCpuUs) / 1000 / result.wallMs,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const timedOut =
      left() <= 0 ? ` [hard timeout of ${Math.round(timeoutMs / 1000)} s reached]` : "";
    throw new Error(`${tag}: ${reason}${timedOut}`, { cause: error });
  } finally {
    await Promise.all([load?.kill(), server.kill()]);
  }
}
