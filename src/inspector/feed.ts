import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { formatComment, formatEvent, formatRetry } from "../../protocols/event-source.js";
import type { FeedRecord, RecordDraft } from "./records.js";

export interface FeedOptions {
  /** Records kept for a page that opens (or reconnects) later. Default 500. */
  readonly history?: number;
  /** A keepalive comment to every open feed this often, in ms. Default 15 000. */
  readonly keepalive?: number;
  /** A feed with more than this many bytes queued is dropped (a stalled page). Default 1 MiB. */
  readonly maxBuffered?: number;
  /** The `retry:` a feed starts with. Default 2 000 ms. */
  readonly retry?: number;
  /** Whether payload fields are shown: the page says so when they are not. */
  readonly payloads?: boolean;
}

/** The first event of every feed: who is talking and where the numbering stands. */
export interface FeedHello {
  /** Changes when the broker restarts: a page that sees a new one starts over. */
  readonly boot: string;
  /** The last record's `seq` (0 before the first). */
  readonly seq: number;
  readonly payloads: boolean;
}

const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-store",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
} as const;

const DEFAULT_HISTORY = 500;
const DEFAULT_KEEPALIVE_MS = 15_000;
const DEFAULT_MAX_BUFFERED = 1024 * 1024;
const DEFAULT_RETRY_MS = 2_000;

/**
 * The inspector's live feed: numbers and stamps records, keeps the last few hundred in a ring,
 * and writes each as a Server-Sent Event (`id: <seq>`, `event: <record type>`, `data: <JSON>`)
 * to every open feed response. A feed is a plain HTTP response, not a broker connection (which
 * would report its own traffic back into the feed). A new feed first gets a `hello` event, then
 * the kept records after its `Last-Event-ID` (all of them without one), then live records.
 */
export class Feed {
  readonly boot = randomUUID();
  readonly #ring: (FeedRecord | undefined)[];
  readonly #keepaliveMs: number;
  readonly #maxBuffered: number;
  readonly #retry: number;
  readonly #payloads: boolean;
  readonly #responses = new Set<ServerResponse>();
  #seq = 0;
  #keepalive: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: FeedOptions = {}) {
    this.#ring = new Array(Math.max(1, options.history ?? DEFAULT_HISTORY));
    this.#keepaliveMs = options.keepalive ?? DEFAULT_KEEPALIVE_MS;
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    this.#retry = options.retry ?? DEFAULT_RETRY_MS;
    this.#payloads = options.payloads ?? false;
  }

  /** How many feeds are open. */
  get size(): number {
    return this.#responses.size;
  }

  /** The last record's number. */
  get seq(): number {
    return this.#seq;
  }

  /** The kept records, oldest first. */
  history(): FeedRecord[] {
    const records: FeedRecord[] = [];
    const length = this.#ring.length;
    for (let offset = 1; offset <= length; offset += 1) {
      const record = this.#ring[(this.#seq + offset) % length];
      if (record) records.push(record);
    }
    return records;
  }

  /** Numbers, keeps and sends a record. */
  publish(draft: RecordDraft): FeedRecord {
    this.#seq += 1;
    const record = { ...draft, seq: this.#seq, time: Date.now() } as FeedRecord;
    this.#ring[this.#seq % this.#ring.length] = record;
    if (this.#responses.size > 0) {
      const frame = frameOf(record);
      for (const response of this.#responses) this.#write(response, frame);
    }
    return record;
  }

  /** Turns a response into a feed: headers, `retry`, `hello`, history after `lastEventId`, live. */
  open(request: IncomingMessage, response: ServerResponse, lastEventId: string | undefined): void {
    if (this.#closed) {
      response.writeHead(503, { "Content-Type": "text/plain; charset=utf-8" });
      response.end("The broker is shutting down\n");
      return;
    }
    request.socket.setNoDelay(true);
    response.writeHead(200, SSE_HEADERS);
    const hello: FeedHello = { boot: this.boot, seq: this.#seq, payloads: this.#payloads };
    let head =
      formatRetry(this.#retry) + formatEvent({ event: "hello", data: JSON.stringify(hello) });
    const after = resumePoint(lastEventId, this.#seq);
    for (const record of this.history()) if (record.seq > after) head += frameOf(record);
    this.#responses.add(response);
    response.on("close", () => this.#drop(response));
    response.on("error", () => this.#drop(response));
    this.#write(response, head);
    this.#keepaliveTimer();
  }

  /** Ends every feed; later ones are refused (503). */
  close(): void {
    this.#closed = true;
    for (const response of this.#responses) response.end();
    this.#responses.clear();
    this.#stopKeepalive();
  }

  #write(response: ServerResponse, frame: string): void {
    if (response.destroyed) return;
    response.write(frame);
    // A page that stopped reading: drop it rather than queue without bound.
    if (response.writableLength > this.#maxBuffered) {
      this.#drop(response);
      response.destroy();
    }
  }

  #drop(response: ServerResponse): void {
    if (!this.#responses.delete(response)) return;
    if (this.#responses.size === 0) this.#stopKeepalive();
  }

  #keepaliveTimer(): void {
    if (this.#keepalive || this.#responses.size === 0) return;
    this.#keepalive = setInterval(() => {
      const comment = formatComment("keepalive");
      for (const response of this.#responses) this.#write(response, comment);
    }, this.#keepaliveMs);
    this.#keepalive.unref();
  }

  #stopKeepalive(): void {
    clearInterval(this.#keepalive);
    this.#keepalive = undefined;
  }
}

/** One record as an SSE event. */
export function frameOf(record: FeedRecord): string {
  return formatEvent({ id: String(record.seq), event: record.type, data: JSON.stringify(record) });
}

/**
 * The seq after which to replay: the client's last id when it is one of ours (not from the
 * future, as after a broker restart), otherwise 0: everything kept.
 */
function resumePoint(lastEventId: string | undefined, seq: number): number {
  if (lastEventId === undefined || !/^\d+$/.test(lastEventId)) return 0;
  const last = Number(lastEventId);
  return last <= seq ? last : 0;
}
