/**
 * The load process: every client of a scenario in one process, separate from
 * the server so that the server's CPU and memory readings are its own.
 *
 * Clients form groups: one group for plain fan-out (and echo, a group of one),
 * one per room for the rooms scenario. With several server nodes (cross-node),
 * a group's clients alternate between them. Each group has a publisher (its
 * first client, on the first node, or an HTTP client for SSE) that keeps at
 * most `window` broadcasts in flight; a broadcast completes when every member
 * of its group (the publisher included: every server echoes to the sender
 * too) has received it, and each completion releases the group's next send.
 * Latency is receive time minus the stamp in the frame.
 *
 * Every phase is bounded in time as well as in count: once `maxMs` has passed,
 * publishers send nothing new, and the phase ends when what is in flight has
 * arrived. Rates are then over the broadcasts (or churn cycles) that completed,
 * so a slow server or a slow machine shortens a run instead of overrunning it.
 */
import { DIALECTS, type LoadClient, type Publisher } from "./dialects.js";
import { isTagged, type LoadCommand, type LoadReply, type PhaseResult } from "./ipc.js";
import { type Decoded, encodePayload, nowMs } from "./payload.js";
import { percentile, Reservoir } from "./stats.js";

/** Latency samples kept per phase: enough for a stable p99, ~1.6 MB. */
const SAMPLE_CAPACITY = 200_000;
/** How long an SSE server may take to count every stream it has answered. */
const READY_TIMEOUT_MS = 10_000;

interface Group {
  members: LoadClient[];
  publisher: Publisher;
}

const groups: Group[] = [];
/** The phase in progress; frame handlers are inert between phases. */
let phase: Phase | undefined;
/** Why a client was lost, if one was: every later phase fails at once instead of timing out. */
let lost: string | undefined;

function loseClient(reason: string): void {
  lost ??= reason;
  phase?.fail(reason);
}

function reply(message: LoadReply): void {
  process.send?.(message);
}

function isCommand(value: unknown): value is LoadCommand {
  return (
    isTagged(value) &&
    (value.type === "connect" || value.type === "broadcast" || value.type === "churn")
  );
}

/**
 * Opens `groupCount` × `groupSize` clients, `batch` at a time so the server's
 * accept backlog is never flooded; with several groups each client joins its
 * group's room before the next batch opens.
 */
async function connect(command: Extract<LoadCommand, { type: "connect" }>): Promise<number> {
  const dialect = DIALECTS[command.dialect];
  const { endpoints, groups: groupCount, groupSize, batch } = command;
  const endpoint = endpoints[0];
  if (!endpoint) throw new Error("connect: no endpoint");
  const total = groupCount * groupSize;
  const slots = Array.from({ length: total }, (_, index) => index);
  // Members sit at their rank, not in the order they happened to connect: rank 0 is the
  // publisher, and with several nodes the rank says which node a client is on.
  const members: LoadClient[][] = Array.from({ length: groupCount }, () => []);
  for (let from = 0; from < total; from += batch) {
    await Promise.all(
      slots.slice(from, from + batch).map(async (slot) => {
        const group = slot % groupCount; // interleaved: every batch fills every room a little
        const rank = Math.floor(slot / groupCount);
        const client = await dialect.open(
          endpoints[rank % endpoints.length] ?? endpoint,
          (frame) => phase?.receive(group, frame),
          loseClient,
        );
        if (groupCount > 1) await client.join(`r${group}`);
        const list = members[group];
        if (list) list[rank] = client;
      }),
    );
  }
  await dialect.ready(endpoint, total, READY_TIMEOUT_MS);
  for (const list of members) {
    const first = list[0];
    if (!first) throw new Error("an empty group");
    groups.push({ members: list, publisher: dialect.publisher(endpoint, first, loseClient) });
  }
  return total;
}

/** Per-group progress of a phase. */
interface Progress {
  readonly group: Group;
  readonly receipts: Uint32Array;
  sent: number;
  completed: number;
}

/**
 * One run of at most `messages` broadcasts per group, sent within `maxMs`; resolves with what
 * it measured.
 */
class Phase {
  readonly #messages: number;
  readonly #window: number;
  readonly #measure: boolean;
  readonly #maxMs: number;
  readonly #progress: Progress[];
  readonly #latency = new Reservoir(SAMPLE_CAPACITY);
  readonly #done: Promise<PhaseResult>;
  #resolve!: (result: PhaseResult) => void;
  #reject!: (error: Error) => void;
  /** Broadcasts sent and completed, over every group. */
  #sent = 0;
  #completed = 0;
  /** Set once `maxMs` has passed: nothing new is sent. */
  #stopped = false;
  #startMs = 0;
  #startCpu: NodeJS.CpuUsage | undefined;

  constructor(messages: number, window: number, measure: boolean, maxMs: number) {
    if (groups.length === 0) throw new Error("broadcast before connect");
    this.#messages = messages;
    this.#window = window;
    this.#measure = measure;
    this.#maxMs = maxMs;
    this.#progress = groups.map((group) => ({
      group,
      receipts: new Uint32Array(messages),
      sent: 0,
      completed: 0,
    }));
    this.#done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  run(): Promise<PhaseResult> {
    if (lost) return Promise.reject(new Error(lost));
    this.#startMs = nowMs();
    this.#startCpu = process.cpuUsage();
    const first = Math.min(this.#window, this.#messages);
    for (const progress of this.#progress) {
      while (progress.sent < first) this.#send(progress);
    }
    return this.#done;
  }

  receive(group: number, frame: Decoded): void {
    const now = nowMs();
    const progress = this.#progress[group];
    const { seq } = frame;
    if (!progress || seq >= this.#messages) return; // not from this phase
    if (this.#measure) this.#latency.add(now - frame.stampMs);
    const count = (progress.receipts[seq] ?? 0) + 1;
    progress.receipts[seq] = count;
    if (count !== progress.group.members.length) return;
    progress.completed += 1;
    this.#completed += 1;
    if (!this.#stopped && now - this.#startMs >= this.#maxMs) this.#stopped = true;
    if (!this.#stopped && progress.sent < this.#messages) this.#send(progress);
    const allSent = this.#stopped || this.#sent === this.#messages * this.#progress.length;
    if (allSent && this.#completed === this.#sent) this.#finish(now);
  }

  fail(reason: string): void {
    this.#reject(new Error(reason));
  }

  #send(progress: Progress): void {
    progress.group.publisher.publish(encodePayload(progress.sent, nowMs()));
    progress.sent += 1;
    this.#sent += 1;
  }

  #finish(endMs: number): void {
    const cpu = process.cpuUsage(this.#startCpu);
    const sample = this.#latency.sorted();
    const deliveries = this.#progress.reduce(
      (sum, { group, completed }) => sum + completed * group.members.length,
      0,
    );
    this.#resolve({
      deliveries,
      broadcasts: this.#completed,
      wallMs: endMs - this.#startMs,
      p50Ms: percentile(sample, 50),
      p99Ms: percentile(sample, 99),
      maxMs: this.#latency.max,
      samples: sample.length,
      loadCpuUs: cpu.user + cpu.system,
    });
  }
}

/**
 * At most `cycles` connect + disconnect cycles, `concurrency` under way at once; none is begun
 * once `maxMs` has passed.
 */
async function churn(command: Extract<LoadCommand, { type: "churn" }>): Promise<LoadReply> {
  const dialect = DIALECTS[command.dialect];
  const started = nowMs();
  const startCpu = process.cpuUsage();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < command.cycles && nowMs() - started < command.maxMs) {
      next += 1;
      await dialect.cycle(command.endpoint);
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  const cpu = process.cpuUsage(startCpu);
  return {
    type: "churn.done",
    cycles: next,
    wallMs: nowMs() - started,
    loadCpuUs: cpu.user + cpu.system,
  };
}

async function handle(command: LoadCommand): Promise<LoadReply> {
  switch (command.type) {
    case "connect": {
      const started = nowMs();
      const clients = await connect(command);
      return { type: "connected", clients, ms: nowMs() - started };
    }
    case "broadcast": {
      phase = new Phase(command.messages, command.window, command.measure, command.maxMs);
      try {
        return { type: "broadcast.done", result: await phase.run() };
      } finally {
        phase = undefined;
      }
    }
    case "churn":
      return churn(command);
  }
}

if (!process.send) throw new Error("load-client: must be started by bench/run.ts (no IPC channel)");
// Orphaned clients would keep thousands of sockets open; die with the runner.
process.on("disconnect", () => process.exit(0));
process.on("message", (message: unknown) => {
  if (!isCommand(message)) return;
  handle(message).then(reply, (error: unknown) =>
    reply({ type: "error", message: error instanceof Error ? error.message : String(error) }),
  );
});
