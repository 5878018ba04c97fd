import type { ClientData, ClientHandle } from "./client-handle.js";
import type { DisconnectInfo } from "./listeners.js";

/** One thing that happened, as the pull API (`pump()`, `events()`) reports it. */
export type BrokerEvent<TData extends object = ClientData> =
  | { readonly type: "connect"; readonly client: ClientHandle<TData> }
  | {
      readonly type: "message";
      readonly client: ClientHandle<TData>;
      /** The frame's event name (`#chat`, `move`, `message`). */
      readonly event: string;
      readonly data: unknown;
    }
  | {
      readonly type: "disconnect";
      readonly client: ClientHandle<TData>;
      readonly info: DisconnectInfo;
    };

/** What `broker.pump()` returns: everything since the previous call, in arrival order. */
export interface PumpResult<TData extends object = ClientData> {
  readonly connected: readonly ClientHandle<TData>[];
  readonly events: readonly Extract<BrokerEvent<TData>, { type: "message" }>[];
  readonly disconnected: readonly Extract<BrokerEvent<TData>, { type: "disconnect" }>[];
  /** Events dropped since the previous call because the queue was full (oldest first). */
  readonly dropped: number;
}

/**
 * A bounded FIFO of broker events. When full, the oldest event is dropped and counted: a game
 * loop that stalls loses old input rather than the broker growing without bound.
 */
export class EventQueue<T> {
  readonly #max: number;
  #items: T[] = [];
  #head = 0;
  #dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Adds an item; returns false when that pushed the oldest one out. */
  push(item: T): boolean {
    this.#items.push(item);
    if (this.#items.length - this.#head <= this.#max) return true;
    this.#head += 1;
    this.#dropped += 1;
    return false;
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) this.#compact();
    return item;
  }

  /** Everything queued, and how many were dropped, since the last drain. */
  drain(): { items: T[]; dropped: number } {
    const items = this.#items.slice(this.#head);
    const dropped = this.#dropped;
    this.#items = [];
    this.#head = 0;
    this.#dropped = 0;
    return { items, dropped };
  }

  /** How many were dropped since the last drain. */
  get dropped(): number {
    return this.#dropped;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  #compact(): void {
    this.#items = this.#items.slice(this.#head);
    this.#head = 0;
  }
}

/** Splits drained events into the shape `pump()` returns. */
export function toPumpResult<TData extends object>(
  items: readonly BrokerEvent<TData>[],
  dropped: number,
): PumpResult<TData> {
  const connected: ClientHandle<TData>[] = [];
  const events: Extract<BrokerEvent<TData>, { type: "message" }>[] = [];
  const disconnected: Extract<BrokerEvent<TData>, { type: "disconnect" }>[] = [];
  for (const item of items) {
    if (item.type === "connect") connected.push(item.client);
    else if (item.type === "message") events.push(item);
    else disconnected.push(item);
  }
  return { connected, events, disconnected, dropped };
}
