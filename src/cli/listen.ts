import type { InspectionEvent } from "xstate";
import {
  type Broker,
  createBroker,
  type InspectionObserver,
  json,
  redisAdapter,
  separator,
} from "../index.js";
import {
  authority,
  COMMON_OPTIONS,
  integerOption,
  type OptionsConfig,
  parseCommand,
  portOption,
} from "./args.js";
import { messageOf, nextSignal, printLine } from "./io.js";
import { clientCount, DEFAULT_SHUTDOWN_TIMEOUT_MS, drainWithin } from "./shutdown.js";
import { LISTEN_USAGE, UsageError } from "./usage.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  debug: { type: "boolean", short: "d" },
  json: { type: "boolean", short: "j" },
  keepalive: { type: "string", short: "k" },
  id: { type: "boolean", short: "i" },
  protocol: { type: "string", default: "separator" },
  inspector: { type: "boolean" },
  redis: { type: "string" },
  "redis-prefix": { type: "string" },
  tcp: { type: "string" },
  "shutdown-timeout": { type: "string", default: String(DEFAULT_SHUTDOWN_TIMEOUT_MS) },
} as const satisfies OptionsConfig;

const PROTOCOLS = ["separator", "json"] as const;
type ProtocolName = (typeof PROTOCOLS)[number];

export interface ListenSettings {
  readonly host: string;
  readonly port: number;
  readonly debug: boolean;
  readonly json: boolean;
  readonly keepalive: number | undefined;
  readonly ids: boolean;
  readonly protocol: ProtocolName;
  readonly inspector: boolean;
  /** Redis to share with other brokers, and the cluster's prefix there. */
  readonly redis: { readonly url: string; readonly prefix: string | undefined } | undefined;
  /** The TCP endpoint's port (0 picks one), or undefined for no TCP endpoint. */
  readonly tcp: number | undefined;
  /** How long a SIGTERM/SIGINT drain may take before the process exits anyway. */
  readonly shutdownTimeout: number;
}

/** `switchboard listen`'s settings, `"help"` for `-h`, or a `UsageError`. */
export function parseListen(args: readonly string[]): ListenSettings | "help" {
  const { values, positionals } = parseCommand(args, OPTIONS, LISTEN_USAGE);
  if (values.help) return "help";
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument: ${positionals.join(" ")}`, LISTEN_USAGE);
  }
  const protocol = PROTOCOLS.find((name) => name === values.protocol);
  if (!protocol) {
    throw new UsageError(`Invalid protocol: expected separator or json`, LISTEN_USAGE);
  }
  const redis = values.redis;
  if (redis !== undefined && !/^rediss?:\/\//.test(redis)) {
    throw new UsageError("Invalid redis: expected a redis:// or rediss:// URL", LISTEN_USAGE);
  }
  if (values["redis-prefix"] !== undefined && redis === undefined) {
    throw new UsageError("--redis-prefix needs --redis", LISTEN_USAGE);
  }
  return {
    host: values.host,
    port: portOption(values.port, LISTEN_USAGE),
    debug: values.debug ?? false,
    json: values.json ?? false,
    keepalive:
      values.keepalive === undefined
        ? undefined
        : integerOption("keepalive", values.keepalive, LISTEN_USAGE, 1),
    ids: values.id ?? false,
    protocol,
    inspector: values.inspector ?? false,
    redis: redis === undefined ? undefined : { url: redis, prefix: values["redis-prefix"] },
    tcp:
      values.tcp === undefined
        ? undefined
        : integerOption("tcp", values.tcp, LISTEN_USAGE, 0, 65_535),
    shutdownTimeout: integerOption("shutdown-timeout", values["shutdown-timeout"], LISTEN_USAGE, 1),
  };
}

/**
 * Runs a broker until SIGINT or SIGTERM, then drains it: no new connections, queued frames
 * delivered, WebSocket and TCP clients closed with 1001, streams ended. Resolves with the exit
 * code: 0 after a drain, 1 when it cannot listen. A drain still running after the shutdown
 * timeout ends the process with 0 there and then; a second signal ends it at once.
 */
export async function listen(args: readonly string[]): Promise<number> {
  const settings = parseListen(args);
  if (settings === "help") {
    process.stdout.write(LISTEN_USAGE);
    return 0;
  }
  const debug = (line: string) => printLine(process.stderr, `debug: ${line}`);
  const broker = createBroker({
    host: settings.host,
    port: settings.port,
    protocol: settings.protocol === "json" ? json() : separator("|"),
    sse: {
      ids: settings.ids ? "counter" : "none",
      json: settings.json,
      ...(settings.keepalive === undefined ? {} : { keepalive: settings.keepalive }),
    },
    ...(settings.debug ? { inspect: transitionLogger(debug) } : {}),
    ...(settings.inspector ? { inspector: true } : {}),
    ...(settings.redis ? { adapter: redisAdapter(settings.redis) } : {}),
    ...(settings.tcp === undefined ? {} : { tcp: { port: settings.tcp } }),
  });
  addRoomCommands(broker);

  let url: string;
  let tcp: { readonly host: string; readonly port: number } | undefined;
  try {
    ({ url, tcp } = await broker.listen());
  } catch (error) {
    printLine(process.stderr, `switchboard listen: cannot listen: ${messageOf(error)}`);
    await broker.close();
    return 1;
  }
  const { host } = new URL(url);
  printLine(process.stdout, `listening on ${url} and http://${host}/events/<channel>`);
  if (settings.inspector) printLine(process.stdout, `inspector on http://${host}/_inspect`);
  if (tcp) printLine(process.stdout, `tcp on ${authority(tcp.host, tcp.port)}`);

  // nextSignal() lets go of its handlers when the first signal comes, so a second one gets
  // Node's default: the process ends at once, killed by that signal.
  const signal = await nextSignal();
  const limit = settings.shutdownTimeout;
  const open = broker.clients.size;
  // close() stops accepting before it returns: from here on a new connection is refused.
  const closing = broker.close();
  printLine(
    process.stderr,
    `switchboard listen: ${signal}: closing ${clientCount(open)}, ` +
      `waiting up to ${limit} ms (signal again to quit at once)`,
  );
  if ((await drainWithin(closing, limit)) === "timed out") {
    printLine(
      process.stderr,
      `switchboard listen: still draining after ${limit} ms: ` +
        `exiting, cutting off ${clientCount(broker.clients.size)}`,
    );
    // A stop that was asked for and carried out is a success for systemd and Kubernetes alike;
    // exiting is what cuts the rest off (the kernel closes their sockets).
    process.exit(0);
  }
  return 0;
}

/**
 * `join`/`leave` for WebSocket clients, since the broker has no listeners of its own: the
 * separator protocol's `#join|room` and the JSON protocol's `{"type":"join","data":"room"}`.
 * Each is answered with `#joined|room` / `{"type":"joined","data":"room"}` (and `left`); a JSON
 * frame with an `id` is also acknowledged with `true`, or `false` when no room was named.
 */
function addRoomCommands(broker: Broker): void {
  for (const { event, answer, action } of ROOM_COMMANDS) {
    broker.on(event, (client, data) => {
      const room = roomOf(data);
      if (room === undefined || !client[action](room)) return false;
      // The separator codec sends `#event|field…`, the JSON codec `{"type":event,"data":…}`.
      client.emit(answer, event.startsWith("#") ? [room] : room);
      return true;
    });
  }
}

/** Each room command: the event it comes as, the event that answers it, what it does. */
const ROOM_COMMANDS = [
  { event: "#join", answer: "#joined", action: "join" },
  { event: "join", answer: "joined", action: "join" },
  { event: "#leave", answer: "#left", action: "leave" },
  { event: "leave", answer: "left", action: "leave" },
] as const;

/** The room a join/leave names: `["room"]` (separator fields) or `"room"` (JSON data). */
function roomOf(data: unknown): string | undefined {
  const value: unknown = Array.isArray(data) ? data[0] : data;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * An inspection observer printing each machine snapshot as one line:
 * `supervisor x:0 running <- broadcast`, `connection V1StGXR8_Z5j open.idle <- socket.message`.
 */
export function transitionLogger(write: (line: string) => void): InspectionObserver {
  return (event: InspectionEvent) => {
    if (event.type !== "@xstate.snapshot") return;
    const snapshot = event.snapshot as { readonly value?: unknown; readonly machine?: unknown };
    if (snapshot.value === undefined) return;
    const machine = snapshot.machine as { readonly id?: unknown } | undefined;
    const ref = event.actorRef as { readonly id?: unknown; readonly sessionId: string };
    const name = typeof machine?.id === "string" ? machine.id : "actor";
    const id = typeof ref.id === "string" ? ref.id : ref.sessionId;
    write(`${name} ${id} ${stateText(snapshot.value)} <- ${event.event.type}`);
  };
}

/** A state value as text: `open`, `open.idle`, parallel regions joined by commas. */
function stateText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null) return String(value);
  return Object.entries(value)
    .map(([key, child]) => {
      const inner = stateText(child);
      return inner === "" ? key : `${key}.${inner}`;
    })
    .join(",");
}
