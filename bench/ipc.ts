/**
 * The messages the benchmark processes exchange over their IPC channels.
 *
 * Three processes take part in a scenario: the runner (parent), one server
 * child (one per node for cross-node) and one load child. Every exchange is a
 * request from the runner and exactly one reply from the child (`exit`
 * excepted: its answer is the exit itself), so each child stays a plain
 * script with no timing logic of its own; deadlines live in the runner.
 */

/**
 * What a server child is started for (its first argument). `fanout`, `crossnode`, `idle`
 * and `churn` share one behaviour: every frame from a client goes to every client;
 * `crossnode` also joins the other nodes named by its further arguments (a Redis URL and
 * prefix).
 */
export type ServerMode = "fanout" | "crossnode" | "rooms" | "echo" | "idle" | "churn" | "sse";

export const SERVER_MODES: readonly ServerMode[] = [
  "fanout",
  "crossnode",
  "rooms",
  "echo",
  "idle",
  "churn",
  "sse",
];

/** Runner -> server child. */
export type ServerCommand =
  | { type: "rss" } // settle, collect garbage, then report resident memory
  | { type: "cpu.start" } // begin the measured window
  | { type: "cpu.stop" } // end it and report the CPU spent inside it
  | { type: "connections" } // how many clients the server holds now
  | { type: "exit" }; // exit normally (so that --cpu-prof writes its profile); no reply

/** Where a server listens: one URL for clients, and for SSE one to publish to. */
export interface Endpoint {
  url: string;
  publishUrl?: string;
}

/** Server child -> runner. `atUs`: the monotonic clock (`process.hrtime`), µs. */
export type ServerReply =
  | ({ type: "listening" } & Endpoint)
  | { type: "rss"; rss: number; gc: boolean }
  | { type: "cpu.started"; atUs: number }
  | { type: "cpu"; userUs: number; systemUs: number; atUs: number }
  | { type: "connections"; count: number }
  | { type: "error"; message: string };

/** How the load process talks to a server. */
export type Dialect = "ws" | "socket.io" | "sse";

/** Runner -> load child. */
export type LoadCommand =
  | {
      type: "connect";
      dialect: Dialect;
      /**
       * The server's endpoints, one per node. Within each group, clients take them in turn
       * (client k of a group connects to `endpoints[k % length]`): the publisher, a group's
       * first client, is always on the first node.
       */
      endpoints: readonly Endpoint[];
      /**
       * Clients are opened as `groups` × `groupSize`. One group is plain fan-out; more
       * groups are rooms (`r0`, `r1`, …), each client joining its group's room.
       */
      groups: number;
      groupSize: number;
      batch: number;
    }
  | {
      type: "broadcast";
      /** Broadcasts per group (each group's publisher sends its own). */
      messages: number;
      /** Broadcasts in flight at most, per group. */
      window: number;
      measure: boolean;
      /** Nothing new is sent after this long; the phase ends once what is in flight arrived. */
      maxMs: number;
    }
  | {
      type: "churn";
      dialect: Dialect;
      endpoint: Endpoint;
      /** Connect + disconnect cycles at most. */
      cycles: number;
      /** Cycles under way at once. */
      concurrency: number;
      /** No cycle is begun after this long. */
      maxMs: number;
    };

/** What the load child measured over one broadcast phase. */
export interface PhaseResult {
  /** Deliveries counted: receivers × completed broadcasts, over every group. */
  deliveries: number;
  /** Broadcasts completed, over every group. */
  broadcasts: number;
  /** From the first send to the last receipt of the last broadcast, ms. */
  wallMs: number;
  /** Latency percentiles over the sampled deliveries, ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  /** CPU the load process itself spent in the phase (user + system), µs. */
  loadCpuUs: number;
}

/** Load child -> runner. */
export type LoadReply =
  | { type: "connected"; clients: number; ms: number }
  | { type: "broadcast.done"; result: PhaseResult }
  /** `cycles`: the cycles done (fewer than asked when the time ran out). */
  | { type: "churn.done"; cycles: number; wallMs: number; loadCpuUs: number }
  | { type: "error"; message: string };

/** Every reply shares a string `type`; the runner matches replies on it. */
export interface Tagged {
  type: string;
}

/** Narrows an IPC payload (typed `unknown` by Node) to a tagged message. */
export function isTagged(value: unknown): value is Tagged {
  return (
    typeof value === "object" &&
    value !== null &&
    "type" in value &&
    typeof (value as { type: unknown }).type === "string"
  );
}
