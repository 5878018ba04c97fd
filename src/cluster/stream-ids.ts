// Event ids of channel histories kept in Redis Streams, and the recovery rule, as pure
// functions (no I/O): `<epoch>:<ms>-<seq>`, where `<ms>-<seq>` is the stream entry id Redis
// assigned (ordered across every node) and the epoch names one life of the stream.

/** Bounds of a shared channel history: the same `sse.history` options as in one process. */
export interface StreamBounds {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

/** An event id of a shared history, split. */
export interface StreamEventId {
  readonly epoch: string;
  /** The stream entry id, `<ms>-<seq>`. */
  readonly entry: string;
  readonly ms: number;
  readonly seq: number;
}

/** One stream entry as the recovery read returns it. */
export interface StreamEntry {
  /** `<ms>-<seq>`. */
  readonly entry: string;
  /** The entry id before it when it was added ("" for the first of an epoch). */
  readonly prev: string;
  /** A marker: events went out on some node that the stream does not have (Redis was away). */
  readonly gap: boolean;
  /** The broadcast as published (JSON text of the cluster message, without its id). */
  readonly message: string;
}

/** Longest `Last-Event-ID` looked up, as for in-process histories. */
const MAX_EVENT_ID_LENGTH = 128;
const EVENT_ID = /^([A-Za-z0-9_-]{1,32}):(\d{1,16})-(\d{1,16})$/;

/** Splits an id; undefined for anything that cannot be one of ours. */
export function parseStreamEventId(text: string): StreamEventId | undefined {
  if (text.length > MAX_EVENT_ID_LENGTH) return undefined;
  const match = EVENT_ID.exec(text);
  if (!match) return undefined;
  const [, epoch = "", ms = "", seq = ""] = match;
  const id = { epoch, entry: `${ms}-${seq}`, ms: Number(ms), seq: Number(seq) };
  return Number.isSafeInteger(id.ms) && Number.isSafeInteger(id.seq) ? id : undefined;
}

/**
 * Whether event `a` comes after event `b` of the same channel. An id of another epoch counts as
 * newer: the stream started over, so everything in it is news to a client of the old one.
 */
export function isAfter(a: StreamEventId, b: StreamEventId): boolean {
  if (a.epoch !== b.epoch) return true;
  return a.ms > b.ms || (a.ms === b.ms && a.seq > b.seq);
}

/** How many entries the recovery read asks for: the client's own, `maxEvents`, and one to tell "too many". */
export const recoveryReadCount = (bounds: StreamBounds): number => bounds.maxEvents + 2;

/**
 * The events a client that last saw `last` missed, given the stream read from `last` (inclusive,
 * `recoveryReadCount` entries at most), or undefined when they cannot all be replayed: the id is
 * not in the stream (never was, or trimmed) and is not the one just before the oldest kept
 * entry; more than `maxEvents` were missed; the oldest missed is older than `maxAgeMs` (entry
 * ids carry Redis's clock, `nowMs` is Redis's `TIME`); or a gap marker lies among them. The same
 * rule as the in-process history: all of what was missed, or nothing.
 */
export function missedEntries(
  last: StreamEventId,
  entries: readonly StreamEntry[],
  nowMs: number,
  bounds: StreamBounds,
): StreamEntry[] | undefined {
  const [first] = entries;
  if (!first) return undefined;
  let missed: StreamEntry[];
  if (first.entry === last.entry) missed = entries.slice(1);
  else if (first.prev === last.entry) missed = [...entries];
  else return undefined;
  if (missed.length > bounds.maxEvents) return undefined;
  if (missed.some((entry) => entry.gap)) return undefined;
  const oldest = missed[0];
  if (oldest && nowMs - entryMs(oldest.entry) > bounds.maxAgeMs) return undefined;
  return missed;
}

/** The milliseconds part of a stream entry id. */
export function entryMs(entry: string): number {
  return Number(entry.slice(0, entry.indexOf("-")));
}
