import type { IncomingHttpHeaders } from "node:http";
import type { FeedRecord } from "../../src/inspector/index.js";
import { openStream, type RawStream } from "../sse/sse-helpers.js";

/** A plain HTTP answer, body as text. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export async function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** `/_inspect/feed` read raw: every byte in `text`, records parsed as they come. */
export interface FeedStream {
  readonly raw: RawStream;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The `hello` event's data. */
  readonly hello: { readonly boot: string; readonly seq: number; readonly payloads: boolean };
  /** Every record taken so far by `until`, in order. */
  readonly seen: FeedRecord[];
  /** Takes records until one matches (rejects after the timeout); returns that one. */
  until(predicate: (record: FeedRecord) => boolean, timeoutMs?: number): Promise<FeedRecord>;
  close(): void;
}

/** Opens the feed and reads its `hello`; fails unless the answer is 200. */
export async function openFeed(
  port: number,
  path = "/_inspect/feed",
  headers: Record<string, string> = {},
): Promise<FeedStream> {
  const raw = await openStream(port, path, { headers });
  if (raw.status !== 200) {
    raw.destroy();
    throw new Error(`Feed answered ${raw.status}`);
  }
  const first = await raw.next();
  if (first.type !== "hello") throw new Error(`Expected hello first, got ${first.type}`);
  const seen: FeedRecord[] = [];
  return {
    raw,
    status: raw.status,
    headers: raw.headers,
    hello: JSON.parse(first.data) as FeedStream["hello"],
    seen,
    async until(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const event = await raw.next(Math.max(1, deadline - Date.now()));
        const record = JSON.parse(event.data) as FeedRecord;
        expectMatchingType(event.type, record);
        seen.push(record);
        if (predicate(record)) return record;
      }
    },
    close: () => raw.destroy(),
  };
}

function expectMatchingType(eventType: string, record: FeedRecord): void {
  if (eventType !== record.type) {
    throw new Error(`SSE event "${eventType}" carries a "${record.type}" record`);
  }
}

/** Narrows a record to one type, for assertions. */
export function isRecord<T extends FeedRecord["type"]>(
  type: T,
  fields: Partial<Extract<FeedRecord, { type: T }>> = {},
): (record: FeedRecord) => record is Extract<FeedRecord, { type: T }> {
  return (record): record is Extract<FeedRecord, { type: T }> =>
    record.type === type &&
    Object.entries(fields).every(
      ([key, value]) => (record as unknown as Record<string, unknown>)[key] === value,
    );
}
