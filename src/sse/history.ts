import { nanoid } from "nanoid";
import { MAX_TIMER_MS } from "../constants.js";

/** Bounds of each channel's replay history. */
export interface HistoryLimits {
  /** Events kept per channel. Default 1000. */
  readonly maxEvents: number;
  /** Events older than this are dropped. Default 5 minutes. */
  readonly maxAgeMs: number;
}

/** One recorded event: its sequence number, its wire id, when, and its frame (id included). */
export interface HistoryEntry {
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  readonly frame: string;
}

/** What a reconnecting client gets back for its `Last-Event-ID`. */
export type Recovery =
  | { readonly recovered: true; readonly missed: readonly HistoryEntry[] }
  | { readonly recovered: false };

/** A user-chosen id for the `seq`-th event of a channel; must be unique within the channel. */
export type EventIdFunction = (channel: string, seq: number) => string;

/** Longest `Last-Event-ID` looked up; anything longer cannot be one of ours. */
const MAX_EVENT_ID_LENGTH = 128;

/**
 * One channel's bounded history. Ids are `<epoch>:<seq>`: `seq` increases by one per event and
 * the epoch is drawn when the history is created, so an id from before a restart (or from a
 * history that expired) is recognised as foreign instead of being matched to a different event.
 */
export class ChannelHistory {
  readonly epoch = nanoid(8);
  #entries: HistoryEntry[] = [];
  #start = 0;
  #nextSeq = 1;
  readonly #channel: string;
  readonly #limits: HistoryLimits;
  /** With user-chosen ids, the seq of each kept id (counter ids carry their seq). */
  readonly #custom:
    | { readonly idFor: EventIdFunction; readonly seqOf: Map<string, number> }
    | undefined;

  constructor(channel: string, limits: HistoryLimits, idFor?: EventIdFunction) {
    this.#channel = channel;
    this.#limits = limits;
    this.#custom = idFor ? { idFor, seqOf: new Map() } : undefined;
  }

  /**
   * Records an event and returns its entry; `frameFor` builds the frame that carries the id.
   * Throws what the ids function or `frameFor` throws, recording nothing.
   */
  append(frameFor: (id: string) => string, now: number): HistoryEntry {
    const seq = this.#nextSeq;
    const id = this.#custom ? this.#custom.idFor(this.#channel, seq) : `${this.epoch}:${seq}`;
    const entry: HistoryEntry = { seq, id, at: now, frame: frameFor(id) };
    // Only now: a failed id or frame must not leave a hole, since replay counts by seq.
    this.#nextSeq += 1;
    this.#entries.push(entry);
    this.#custom?.seqOf.set(id, seq);
    this.#trim(now);
    return entry;
  }

  #seqOf(lastEventId: string): number | undefined {
    if (this.#custom) return this.#custom.seqOf.get(lastEventId);
    const match = /^([A-Za-z0-9_-]+):(\d{1,15})$/.exec(lastEventId);
    return match && match[1] === this.epoch ? Number(match[2]) : undefined;
  }

  /**
   * The events after `lastEventId`, or `recovered: false` when that id is malformed, of another
   * epoch, in the future, or older than what is kept (a partial replay would hide a gap).
   */
  recover(lastEventId: string, now: number): Recovery {
    this.#trim(now);
    if (lastEventId.length > MAX_EVENT_ID_LENGTH) return { recovered: false };
    const seq = this.#seqOf(lastEventId);
    if (seq === undefined) return { recovered: false };
    const last = this.#nextSeq - 1;
    if (seq > last) return { recovered: false };
    const first = this.#entries[this.#start]?.seq ?? this.#nextSeq;
    // Seq `first - 1` is the newest event the client may have seen with nothing missing after.
    if (seq < first - 1) return { recovered: false };
    return { recovered: true, missed: this.#entries.slice(this.#start + (seq - first + 1)) };
  }

  /** True when nothing is kept any more (the channel may be forgotten). */
  isEmpty(now: number): boolean {
    this.#trim(now);
    return this.#start >= this.#entries.length;
  }

  get size(): number {
    return this.#entries.length - this.#start;
  }

  #trim(now: number): void {
    const { maxEvents, maxAgeMs } = this.#limits;
    const entries = this.#entries;
    const expired = (entry: HistoryEntry) =>
      entries.length - this.#start > maxEvents || now - entry.at > maxAgeMs;
    for (let entry = entries[this.#start]; entry && expired(entry); entry = entries[this.#start]) {
      this.#custom?.seqOf.delete(entry.id);
      this.#start += 1;
    }
    // Compact now and then so trimming stays amortised O(1) without an ever-growing array.
    if (this.#start > 1024 && this.#start * 2 > entries.length) {
      this.#entries = entries.slice(this.#start);
      this.#start = 0;
    }
  }
}

/** Every channel's history, created on demand; the supervisor owns it. */
export class ChannelHistories {
  readonly #channels = new Map<string, ChannelHistory>();
  readonly #limits: HistoryLimits;
  readonly #idFor: EventIdFunction | undefined;
  /** Channels whose last member left while their history still held events. */
  readonly #idle = new Set<string>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(limits: HistoryLimits, idFor?: EventIdFunction) {
    this.#limits = limits;
    this.#idFor = idFor;
  }

  /** The bounds every channel's history keeps to. */
  get limits(): HistoryLimits {
    return this.#limits;
  }

  /** Whether ids are the counter kind (`<epoch>:<n>`), not a user function's. */
  get counterIds(): boolean {
    return this.#idFor === undefined;
  }

  get(channel: string): ChannelHistory | undefined {
    return this.#channels.get(channel);
  }

  getOrCreate(channel: string): ChannelHistory {
    this.#idle.delete(channel);
    let history = this.#channels.get(channel);
    if (!history) {
      history = new ChannelHistory(channel, this.#limits, this.#idFor);
      this.#channels.set(channel, history);
    }
    return history;
  }

  /** Forgets a channel whose history has fully expired; true when it is gone. */
  forgetIfEmpty(channel: string, now: number): boolean {
    if (this.#channels.get(channel)?.isEmpty(now) === false) return false;
    this.#channels.delete(channel);
    return true;
  }

  /**
   * The channel's last member left. With nothing to replay its history goes at once; otherwise
   * it is kept for reconnecting streams until its events have aged out (`maxAgeMs`), then a
   * sweep forgets it. Without this, every `GET /events/<new name>` would leave a history behind
   * for the life of the process.
   */
  release(channel: string, now: number): void {
    if (this.forgetIfEmpty(channel, now)) return;
    this.#idle.add(channel);
    this.#armSweep();
  }

  /** Stops the sweep (the broker is closing). */
  stop(): void {
    clearTimeout(this.#sweep);
    this.#sweep = undefined;
  }

  #sweepIdle(): void {
    this.#sweep = undefined;
    const now = Date.now();
    for (const channel of this.#idle) {
      if (this.forgetIfEmpty(channel, now)) this.#idle.delete(channel);
    }
    if (this.#idle.size > 0) this.#armSweep();
  }

  /** One timer for every idle channel, a history's lifetime apart; it never holds the process. */
  #armSweep(): void {
    const delay = Math.min(MAX_TIMER_MS, Math.max(1_000, this.#limits.maxAgeMs));
    this.#sweep ??= setTimeout(() => this.#sweepIdle(), delay);
    this.#sweep.unref();
  }
}
