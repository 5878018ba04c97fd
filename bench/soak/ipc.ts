/**
 * The messages the soak runner exchanges with its children: one broker process and one or two
 * load processes. As in the benchmark (`../ipc.ts`), every exchange is one request from the
 * runner and exactly one reply, so the children keep no deadlines of their own.
 */

/** Runner -> broker child. */
export type SoakServerCommand = { type: "stats" };

/** What the broker process reports about itself, after a full garbage collection. */
export interface ServerSample {
  /** Resident set size, bytes. */
  rss: number;
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** Connection actors the supervisor holds (`inspect().supervisor.connections`). */
  actors: number;
  /** Connection views in `inspect().connections` (one per live actor). */
  inspected: number;
  /** Connection views per transport: `websocket`, `tcp`, `sse`. */
  byTransport: Record<string, number>;
  /** `broker.clients.size`: the handles the public API holds. */
  handles: number;
  /** Rooms with at least one member. */
  rooms: number;
  /** Broadcasts requested by clients so far, and the recipients they were addressed to. */
  broadcasts: number;
  deliveries: number;
  /** Whether `gc()` was available (`--expose-gc`), i.e. whether RSS is post-collection. */
  gc: boolean;
}

export type SoakServerReply =
  | { type: "listening"; url: string; origin: string; tcpPort: number }
  | ({ type: "stats" } & ServerSample)
  | { type: "error"; message: string };

/** How a load process behaves; the runner gives both processes the same shape. */
export interface LoadPlan {
  /** The WebSocket endpoint, the HTTP origin (SSE) and the TCP port. */
  url: string;
  origin: string;
  tcpPort: number;
  /** Shares of the clients on TCP and on SSE; the rest are WebSocket clients. */
  tcpShare: number;
  sseShare: number;
  /** Clients this process keeps (connected or reconnecting). */
  clients: number;
  /** Room names are `room-0` … `room-<rooms - 1>`. */
  rooms: number;
  /** Rooms each client joins on connecting. */
  roomsPerClient: number;
  /** Mean lifetime of a connection before it leaves (half close cleanly, half vanish). */
  meanLifetimeMs: number;
  /** Mean time between two broadcasts of one client. */
  meanSayMs: number;
  /** Mean time between two room changes (leave one, join another) of one client. */
  meanHopMs: number;
  /** Clients connecting at once during the ramp-up. */
  rampBatch: number;
  /** Seeds the process's random choices, so a run can be repeated. */
  seed: number;
}

/** Runner -> load child. */
export type LoadCommand =
  | ({ type: "start" } & LoadPlan)
  /** Stop churning and sending; reply once every client is connected and settled. */
  | { type: "pause" }
  /** Close every client; reply once every socket is closed. */
  | { type: "stop" }
  | { type: "stats" };

export interface LoadSample {
  /** Clients with an open socket now. */
  open: number;
  connects: number;
  disconnects: number;
  /** Frames sent (broadcast requests) and received (deliveries). */
  sent: number;
  received: number;
  /** Connections that failed (refused, error before open). */
  failures: number;
}

export type LoadReply =
  | { type: "started"; clients: number }
  | ({ type: "paused" } & LoadSample)
  | ({ type: "stopped" } & LoadSample)
  | ({ type: "stats" } & LoadSample)
  | { type: "error"; message: string };
