import type { ClientData } from "./client-handle.js";
import { type BrokerEvent, EventQueue, type PumpResult, toPumpResult } from "./pull.js";

interface Subscriber<TData extends object> {
  readonly queue: EventQueue<BrokerEvent<TData>>;
  wake: (() => void) | undefined;
}

/**
 * The pull side of the broker (the event-socket seed's `system.pump()`): a shared queue drained
 * by `pump()` and one queue per `events()` iterator. Nothing is recorded until the first
 * `pump()` call or iterator, so a broker that only uses listeners keeps nothing. Every queue is
 * bounded (`max`); when full, the oldest event is dropped and counted.
 */
export class PullFeed<TData extends object = ClientData> {
  readonly #max: number;
  #pumpQueue: EventQueue<BrokerEvent<TData>> | undefined;
  readonly #subscribers = new Set<Subscriber<TData>>();
  readonly #onOverflow: () => void;
  #closed = false;

  constructor(max: number, onOverflow: () => void) {
    this.#max = max;
    this.#onOverflow = onOverflow;
  }

  record(event: BrokerEvent<TData>): void {
    if (this.#pumpQueue) this.#push(this.#pumpQueue, event);
    for (const subscriber of this.#subscribers) {
      this.#push(subscriber.queue, event);
      subscriber.wake?.();
    }
  }

  /** Reports the first drop of each overflow (until the queue is drained), not every drop. */
  #push(queue: EventQueue<BrokerEvent<TData>>, event: BrokerEvent<TData>): void {
    if (!queue.push(event) && queue.dropped === 1) this.#onOverflow();
  }

  /** Everything since the previous call (the first call starts recording). */
  pump(): PumpResult<TData> {
    if (!this.#pumpQueue) {
      this.#pumpQueue = new EventQueue(this.#max);
      return toPumpResult([], 0);
    }
    const { items, dropped } = this.#pumpQueue.drain();
    return toPumpResult(items, dropped);
  }

  /**
   * An async iterator of events from this call on (it subscribes at once, not at the first
   * `next()`); it ends when the broker closes, or when the loop `break`s.
   */
  events(): AsyncIterableIterator<BrokerEvent<TData>> {
    const subscriber: Subscriber<TData> = { queue: new EventQueue(this.#max), wake: undefined };
    this.#subscribers.add(subscriber);
    const done = (): IteratorResult<BrokerEvent<TData>> => {
      this.#subscribers.delete(subscriber);
      return { done: true, value: undefined };
    };
    const next = async (): Promise<IteratorResult<BrokerEvent<TData>>> => {
      while (this.#subscribers.has(subscriber)) {
        const item = subscriber.queue.shift();
        if (item !== undefined) return { done: false, value: item };
        if (this.#closed) return done();
        await new Promise<void>((resolve) => {
          subscriber.wake = resolve;
        });
        subscriber.wake = undefined;
      }
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<BrokerEvent<TData>> = {
      next,
      return: async () => {
        subscriber.wake?.();
        return done();
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Ends every iterator once it has yielded what is queued. */
  close(): void {
    this.#closed = true;
    for (const subscriber of this.#subscribers) subscriber.wake?.();
  }
}
