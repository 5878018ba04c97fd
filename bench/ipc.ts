/**
 * The messages the benchmark processes exchange over their IPC channels.
 *
 * Three processes take part in a scenario: the runner (parent), one server
 * child and one load child. Every exchange is a request from the runner and
 * exactly one reply from the child, so each child stays a plain script with
 * no timing logic of its own; deadlines live in the runner.
 */

/** Runner -> server child. */
export type ServerCommand =
  | { type: "rss" } // settle, collect garbage, then report resident memory
  | { type: "cpu.start" } // begin the measured window
  | { type: "cpu.stop" }; // end it and report the CPU spent inside it

/** Server child -> runner. */
export type ServerReply =
  | { type: "listening"; url: string }
  | { type: "rss"; rss: number; gc: boolean }
  | { type: "cpu.started" }
  | { type: "cpu"; userUs: number; systemUs: number }
  | { type: "error"; message: string };

/** Runner -> load child. */
export type LoadCommand =
  | { type: "connect"; url: string; clients: number; batch: number }
  | { type: "broadcast"; messages: number; window: number; measure: boolean };

/** What the load child measured over one broadcast phase. */
export interface PhaseResult {
  /** Deliveries counted: clients × messages. */
  deliveries: number;
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
