import { get } from "node:http";
import {
  createEventStreamState,
  type EventStreamState,
  feedEventStream,
  type ParsedEvent,
} from "../../protocols/event-source-parser.js";
import { Defaults } from "../index.js";
import {
  authority,
  COMMON_OPTIONS,
  integerOption,
  type OptionsConfig,
  parseCommand,
  portOption,
  positionalArgs,
} from "./args.js";
import { eventsUrl, readText, refusalOf } from "./http.js";
import { messageOf, nextSignal, printLine } from "./io.js";
import { CLIENT_USAGE } from "./usage.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  debug: { type: "boolean", short: "d" },
  retry: { type: "string", short: "r" },
} as const satisfies OptionsConfig;

export interface ClientSettings {
  readonly url: string;
  readonly debug: boolean;
  /** `-r`: wins over the server's `retry:` when given. */
  readonly retry: number | undefined;
}

/** `switchboard client`'s settings, `"help"` for `-h`, or a `UsageError`. */
export function parseClient(args: readonly string[]): ClientSettings | "help" {
  const { values, positionals } = parseCommand(args, OPTIONS, CLIENT_USAGE);
  if (values.help) return "help";
  const [token = ""] = positionalArgs(positionals, ["token"], 1, CLIENT_USAGE);
  const port = portOption(values.port, CLIENT_USAGE);
  return {
    url: eventsUrl(`http://${authority(values.host, port)}`, token),
    debug: values.debug ?? false,
    retry:
      values.retry === undefined ? undefined : integerOption("retry", values.retry, CLIENT_USAGE),
  };
}

/**
 * Follows a channel until SIGINT or SIGTERM (exit 0), printing `<event> <data>` per event and
 * reconnecting with `Last-Event-ID` whenever the stream drops or the server is unreachable.
 * Exits 1 when the server refuses the stream for good (a 4xx, or not an event stream).
 */
export async function client(args: readonly string[]): Promise<number> {
  const settings = parseClient(args);
  if (settings === "help") {
    process.stdout.write(CLIENT_USAGE);
    return 0;
  }
  const stop = new AbortController();
  const code = await Promise.race([nextSignal().then(() => 0), follow(settings, stop.signal)]);
  stop.abort();
  return code;
}

/** How one connection attempt ended. */
type Attempt =
  | { readonly kind: "ended"; readonly state: EventStreamState }
  | { readonly kind: "unreachable"; readonly reason: string }
  | { readonly kind: "refused"; readonly status: number; readonly message: string };

/** Statuses worth retrying: the server may come back (EventSource itself gives up on all). */
const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

async function follow(settings: ClientSettings, signal: AbortSignal): Promise<number> {
  const { url } = settings;
  const debug = (line: string) => {
    if (settings.debug) printLine(process.stderr, `debug: ${line}`);
  };
  const warn = (line: string) => printLine(process.stderr, `switchboard client: ${line}`);
  let start = createEventStreamState();
  let outage = false;
  let seenId = "";

  while (!signal.aborted) {
    const from = start.lastEventId === "" ? "" : ` (Last-Event-ID: ${start.lastEventId})`;
    debug(`connecting to ${url}${from}`);
    const attempt = await connect(url, start, signal, {
      opened: () => {
        outage = false;
        debug(`connected to ${url}${from}`);
      },
      received: (event) => {
        // Ids persist across events: print one only when an event brings a new one.
        if (event.lastEventId !== seenId) debug(`id ${event.lastEventId}`);
        seenId = event.lastEventId;
        if (isFailedRecovery(event)) {
          const since = start.lastEventId || "the last one seen";
          warn(
            `warning: the server could not replay the events missed since ${since}; some may be lost`,
          );
          return;
        }
        printLine(process.stdout, `${event.type} ${event.data}`);
      },
    });
    if (signal.aborted) break;
    const delay = settings.retry ?? nextRetry(attempt, start) ?? Defaults.sseRetry;
    switch (attempt.kind) {
      case "ended":
        // The next stream starts from where this one stopped: its last id and retry.
        start = createEventStreamState({
          lastEventId: attempt.state.lastEventId,
          retry: attempt.state.retry,
        });
        debug(`stream ended; reconnecting in ${delay} ms`);
        break;
      case "unreachable":
        if (!outage) warn(`cannot reach ${url}: ${attempt.reason}; retrying every ${delay} ms`);
        else debug(`cannot reach ${url}: ${attempt.reason}; retrying in ${delay} ms`);
        outage = true;
        break;
      case "refused":
        if (attempt.status === 204) {
          debug("the server answered 204: not reconnecting");
          return 0;
        }
        if (!TRANSIENT.has(attempt.status)) {
          warn(`the server refused the stream: ${attempt.message}`);
          return 1;
        }
        debug(`the server answered ${attempt.message}; retrying in ${delay} ms`);
        break;
    }
    await pause(delay, signal);
  }
  return 0;
}

/** The server's latest `retry:`: the ended stream's (which carries the previous one on). */
function nextRetry(attempt: Attempt, start: EventStreamState): number | undefined {
  return attempt.kind === "ended" ? attempt.state.retry : start.retry;
}

/** The broker's `recovery` event saying it cannot replay what a reconnecting client missed. */
function isFailedRecovery(event: ParsedEvent): boolean {
  if (event.type !== "recovery") return false;
  try {
    const data: unknown = JSON.parse(event.data);
    return typeof data === "object" && data !== null && "recovered" in data && !data.recovered;
  } catch {
    return false;
  }
}

interface StreamHandlers {
  opened(): void;
  received(event: ParsedEvent): void;
}

/** One GET of the stream, from the parser state `start`, until it ends or fails. */
function connect(
  url: string,
  start: EventStreamState,
  signal: AbortSignal,
  handlers: StreamHandlers,
): Promise<Attempt> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {
      Accept: "text/event-stream",
      "Cache-Control": "no-cache",
    };
    if (start.lastEventId !== "") headers["Last-Event-ID"] = start.lastEventId;
    // Set once the stream is open: from then on any failure is the end of that stream.
    let state: EventStreamState | undefined;
    const request = get(url, { headers, signal, agent: false }, (response) => {
      const status = response.statusCode ?? 0;
      const type = response.headers["content-type"] ?? "";
      if (status !== 200 || !/^text\/event-stream\b/i.test(type)) {
        readText(response).then(
          (body) => {
            const message =
              status === 200
                ? `200 not an event stream (${type || "no Content-Type"})`
                : refusalOf(status, body);
            resolve({ kind: "refused", status, message });
          },
          (error: unknown) => resolve({ kind: "unreachable", reason: messageOf(error) }),
        );
        return;
      }
      handlers.opened();
      state = start;
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        const step = feedEventStream(state ?? start, chunk);
        state = step.state;
        for (const event of step.events) handlers.received(event);
      });
      // A reset or an abort ends the stream as surely as a clean end; "close" follows either.
      response.on("error", () => {});
      response.once("close", () => resolve({ kind: "ended", state: state ?? start }));
    });
    request.on("error", (error) => {
      if (state) resolve({ kind: "ended", state });
      else resolve({ kind: "unreachable", reason: messageOf(error) });
    });
  });
}

/** Waits `ms`, or less if `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
