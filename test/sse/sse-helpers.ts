import { type IncomingHttpHeaders, type IncomingMessage, request } from "node:http";
import { EventSource } from "eventsource";
import {
  createEventStreamState,
  type EventStreamState,
  feedEventStream,
  type ParsedEvent,
} from "../../protocols/event-source-parser.js";
import type { Broker, ClientHandle, DisconnectInfo } from "../../src/index.js";

/** Channel names unique across files and workers, so parallel suites never share a room. */
let channelSequence = 0;
export function uniqueChannel(label: string): string {
  channelSequence += 1;
  return `${label}-${process.pid}-${channelSequence}`;
}

/**
 * A FIFO that turns pushed values into awaitable ones: `next()` resolves with the next value
 * (queued if it came earlier) and rejects after a timeout, so a missing value fails clearly.
 */
export class Queue<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<(item: T) => void> = [];

  push(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(item);
    else this.#items.push(item);
  }

  /** Values pushed and not taken yet. */
  get pending(): readonly T[] {
    return this.#items;
  }

  next(timeoutMs = 5_000, what = "value"): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const queued = this.#items.length > 0 ? this.#items.shift() : undefined;
      if (queued !== undefined) {
        resolve(queued);
        return;
      }
      const take = (item: T) => {
        clearTimeout(timer);
        resolve(item);
      };
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(take);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new Error(`No ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(take);
    });
  }

  async take(count: number, timeoutMs = 5_000, what = "value"): Promise<T[]> {
    const taken: T[] = [];
    for (let index = 0; index < count; index += 1) taken.push(await this.next(timeoutMs, what));
    return taken;
  }
}

/** A raw `text/event-stream` response read with node:http and parsed by the project's parser. */
export interface RawStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every byte received so far, as text. */
  readonly text: string;
  /** The parser's state: `retry` and `lastEventId` as a client would keep them. */
  readonly state: EventStreamState;
  /** Parsed events not taken yet, in order. */
  readonly events: Queue<ParsedEvent>;
  /** The next parsed event. */
  next(timeoutMs?: number): Promise<ParsedEvent>;
  /** The next `count` parsed events. */
  take(count: number, timeoutMs?: number): Promise<ParsedEvent[]>;
  /** Resolves once `predicate` holds, checked after every chunk; rejects after the timeout. */
  waitFor(predicate: (text: string) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves when the response body ends or its socket closes. */
  readonly ended: Promise<void>;
  /** Hangs up: destroys the socket, as a browser tab that goes away. */
  destroy(): void;
}

export interface StreamOptions {
  readonly headers?: Record<string, string>;
  readonly method?: string;
}

/**
 * Opens `GET http://127.0.0.1:<port><path>` on a socket of its own (no agent, no reuse) and
 * resolves once the response head has arrived. The body is parsed as it comes.
 */
export function openStream(
  port: number,
  path: string,
  options: StreamOptions = {},
): Promise<RawStream> {
  return new Promise<RawStream>((resolve, reject) => {
    const outgoing = request({
      host: "127.0.0.1",
      port,
      path,
      method: options.method ?? "GET",
      agent: false,
      headers: { Accept: "text/event-stream", ...options.headers },
    });
    outgoing.once("error", reject);
    outgoing.once("response", (response: IncomingMessage) => {
      outgoing.off("error", reject);
      // A reset after the head (the server or the test hanging up) only ends the stream.
      outgoing.on("error", () => {});
      response.on("error", () => {});
      response.setEncoding("utf8");
      let text = "";
      let state = createEventStreamState();
      const events = new Queue<ParsedEvent>();
      const checks = new Set<() => void>();
      response.on("data", (chunk: string) => {
        text += chunk;
        const step = feedEventStream(state, chunk);
        state = step.state;
        for (const event of step.events) events.push(event);
        for (const check of [...checks]) check();
      });
      const ended = new Promise<void>((resolveEnded) => {
        response.once("end", () => resolveEnded());
        response.once("close", () => resolveEnded());
      });
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        get text() {
          return text;
        },
        get state() {
          return state;
        },
        events,
        next: (timeoutMs) => events.next(timeoutMs, `event on ${path}`),
        take: (count, timeoutMs) => events.take(count, timeoutMs, `event on ${path}`),
        waitFor: (predicate, what, timeoutMs = 5_000) =>
          new Promise<void>((resolveWait, rejectWait) => {
            if (predicate(text)) {
              resolveWait();
              return;
            }
            const check = () => {
              if (!predicate(text)) return;
              checks.delete(check);
              clearTimeout(timer);
              resolveWait();
            };
            const timer = setTimeout(() => {
              checks.delete(check);
              rejectWait(new Error(`Not seen within ${timeoutMs} ms on ${path}: ${what}`));
            }, timeoutMs);
            checks.add(check);
          }),
        ended,
        destroy: () => outgoing.destroy(),
      });
    });
    outgoing.end();
  });
}

/** A JSON answer of the SSE endpoint. */
export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** What a POST is answered with when it is accepted. */
export interface Delivery {
  readonly delivered: number;
  readonly id?: string;
}

/** `POST <path>` with a text body (or none); the answer's body parsed as JSON. */
export async function post(
  port: number,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "Content-Type": "text/plain", ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

/** Posts an action that must be accepted (202) and returns its delivery report. */
export async function publish(
  port: number,
  channel: string,
  action: string,
  body?: string,
  headers?: Record<string, string>,
): Promise<Delivery> {
  const answer = await post(port, `/events/${channel}/${action}`, body, headers);
  if (answer.status !== 202) {
    throw new Error(
      `POST ${channel}/${action} answered ${answer.status} ${JSON.stringify(answer.body)}`,
    );
  }
  return answer.body as Delivery;
}

/** The `<n>` of an `<epoch>:<n>` id. */
export function seqOf(id: string): number {
  const match = /^[A-Za-z0-9_-]+:(\d+)$/.exec(id);
  if (!match?.[1]) throw new Error(`Not a counter id: ${id}`);
  return Number(match[1]);
}

/** Collects `count` calls of a lifecycle event of `broker` (connect or disconnect). */
export function collectConnects(broker: Broker, count: number): Promise<ClientHandle[]> {
  return new Promise((resolve) => {
    const seen: ClientHandle[] = [];
    const listener = (client: ClientHandle) => {
      seen.push(client);
      if (seen.length < count) return;
      broker.off("connect", listener);
      resolve(seen);
    };
    broker.on("connect", listener);
  });
}

export function collectDisconnects(
  broker: Broker,
  count: number,
): Promise<Array<{ client: ClientHandle; info: DisconnectInfo }>> {
  return new Promise((resolve) => {
    const seen: Array<{ client: ClientHandle; info: DisconnectInfo }> = [];
    const listener = (client: ClientHandle, info: DisconnectInfo) => {
      seen.push({ client, info });
      if (seen.length < count) return;
      broker.off("disconnect", listener);
      resolve(seen);
    };
    broker.on("disconnect", listener);
  });
}

/** One event an EventSource fired: its type, data and last event id. */
export interface ReceivedEvent {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

/** A real EventSource client (the `eventsource` package) whose events are awaitable. */
export interface TestEventSource {
  readonly source: EventSource;
  /** Events of the listened types, in order. */
  readonly events: Queue<ReceivedEvent>;
  /** Every `error` the client fired (stream ends and failed reconnects). */
  readonly errors: Queue<number>;
  /** Every `open`, numbered from 1. */
  readonly opens: Queue<number>;
  /** The `Last-Event-ID` header of each request the client made (undefined for none). */
  readonly requests: Array<string | undefined>;
  close(): void;
}

export interface TestEventSourceOptions {
  /** Event types to listen to besides `message`. */
  readonly types?: readonly string[];
  /**
   * Awaited before the `n`-th request (numbered from 1) is sent: lets a test act while the
   * client is between two streams, without guessing how long that lasts.
   */
  readonly beforeRequest?: (n: number) => Promise<void>;
}

const openSources = new Set<EventSource>();

/** Closes every test EventSource still open (call from `afterEach`). */
export function closeEventSources(): void {
  for (const source of openSources) source.close();
  openSources.clear();
}

export function openEventSource(
  url: string,
  options: TestEventSourceOptions = {},
): TestEventSource {
  const events = new Queue<ReceivedEvent>();
  const errors = new Queue<number>();
  const opens = new Queue<number>();
  const requests: Array<string | undefined> = [];
  const source = new EventSource(url, {
    fetch: async (input, init) => {
      requests.push(init.headers["Last-Event-ID"]);
      await options.beforeRequest?.(requests.length);
      return fetch(input, init);
    },
  });
  openSources.add(source);
  let errorCount = 0;
  let openCount = 0;
  source.addEventListener("error", () => {
    errorCount += 1;
    errors.push(errorCount);
  });
  source.addEventListener("open", () => {
    openCount += 1;
    opens.push(openCount);
  });
  for (const type of ["message", ...(options.types ?? [])]) {
    source.addEventListener(type, (event: MessageEvent) => {
      events.push({ type: event.type, data: String(event.data), lastEventId: event.lastEventId });
    });
  }
  return {
    source,
    events,
    errors,
    opens,
    requests,
    close: () => {
      source.close();
      openSources.delete(source);
    },
  };
}
