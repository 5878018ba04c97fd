/**
 * The load process: N WebSocket clients in one process, separate from the
 * server so that the server's CPU and memory readings are its own.
 *
 * Client 0 doubles as the publisher. It keeps at most `window` broadcasts in
 * flight; a broadcast completes when all N clients (the publisher included,
 * since both servers echo to everyone) have received it, and each completion
 * releases the next send. Latency is receive time minus the stamp in the frame.
 */
import WebSocket from "ws";
import { isTagged, type LoadCommand, type LoadReply, type PhaseResult } from "./ipc.js";
import { type Decoded, decodePayload, encodePayload, nowMs } from "./payload.js";
import { percentile, Reservoir } from "./stats.js";

/** Latency samples kept per phase: enough for a stable p99, ~1.6 MB. */
const SAMPLE_CAPACITY = 200_000;

const clients: WebSocket[] = [];
/** The phase in progress; message handlers are inert between phases. */
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
  return isTagged(value) && (value.type === "connect" || value.type === "broadcast");
}

function openClient(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // The load process shares the two cores with the server: skip the work
    // that only protects against a hostile server (the frames are our own ASCII).
    const socket = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    socket.once("open", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Opens clients `batch` at a time, so the server's accept backlog is never flooded. */
async function connect(url: string, count: number, batch: number): Promise<void> {
  const decoded: Decoded = { seq: 0, stampMs: 0 };
  while (clients.length < count) {
    const size = Math.min(batch, count - clients.length);
    const opened = await Promise.all(Array.from({ length: size }, () => openClient(url)));
    for (const socket of opened) {
      socket.on("message", (data, isBinary) => {
        if (!isBinary && Buffer.isBuffer(data) && decodePayload(data, decoded)) {
          phase?.receive(decoded);
        }
      });
      socket.on("error", (error) => loseClient(`client error: ${error.message}`));
      socket.on("close", (code) => loseClient(`a client was closed by the server (code ${code})`));
      clients.push(socket);
    }
  }
}

/** One run of `messages` broadcasts; resolves with what it measured. */
class Phase {
  readonly #messages: number;
  readonly #window: number;
  readonly #measure: boolean;
  readonly #publisher: WebSocket;
  readonly #receipts: Uint32Array;
  readonly #latency = new Reservoir(SAMPLE_CAPACITY);
  readonly #done: Promise<PhaseResult>;
  #resolve: (result: PhaseResult) => void = () => {};
  #reject: (error: Error) => void = () => {};
  #sent = 0;
  #completed = 0;
  #startMs = 0;
  #startCpu: NodeJS.CpuUsage | undefined;

  constructor(messages: number, window: number, measure: boolean) {
    const publisher = clients[0];
    if (!publisher) throw new Error("broadcast before connect");
    this.#publisher = publisher;
    this.#messages = messages;
    this.#window = window;
    this.#measure = measure;
    this.#receipts = new Uint32Array(messages);
    this.#done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  run(): Promise<PhaseResult> {
    if (lost) return Promise.reject(new Error(lost));
    this.#startMs = nowMs();
    this.#startCpu = process.cpuUsage();
    while (this.#sent < Math.min(this.#window, this.#messages)) this.#send();
    return this.#done;
  }

  receive(frame: Decoded): void {
    const now = nowMs();
    const { seq } = frame;
    if (seq >= this.#messages) return; // not from this phase
    if (this.#measure) this.#latency.add(now - frame.stampMs);
    const count = this.#receipts[seq] ?? 0;
    this.#receipts[seq] = count + 1;
    if (count + 1 !== clients.length) return;
    this.#completed += 1;
    if (this.#completed === this.#messages) this.#finish(now);
    else if (this.#sent < this.#messages) this.#send();
  }

  fail(reason: string): void {
    this.#reject(new Error(reason));
  }

  #send(): void {
    this.#publisher.send(encodePayload(this.#sent, nowMs()));
    this.#sent += 1;
  }

  #finish(endMs: number): void {
    const cpu = process.cpuUsage(this.#startCpu);
    const sample = this.#latency.sorted();
    this.#resolve({
      deliveries: this.#messages * clients.length,
      wallMs: endMs - this.#startMs,
      p50Ms: percentile(sample, 50),
      p99Ms: percentile(sample, 99),
      maxMs: this.#latency.max,
      samples: sample.length,
      loadCpuUs: cpu.user + cpu.system,
    });
  }
}

async function handle(command: LoadCommand): Promise<LoadReply> {
  switch (command.type) {
    case "connect": {
      const started = nowMs();
      await connect(command.url, command.clients, command.batch);
      return { type: "connected", clients: clients.length, ms: nowMs() - started };
    }
    case "broadcast": {
      phase = new Phase(command.messages, command.window, command.measure);
      try {
        return { type: "broadcast.done", result: await phase.run() };
      } finally {
        phase = undefined;
      }
    }
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
