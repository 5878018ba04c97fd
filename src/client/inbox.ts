/**
 * Where received events wait for the pull-style consumers: the `pump()` buffer (drained by each
 * call) and one queue per async iterator. Both are bounded: past `max`, the oldest event is
 * dropped and `onOverflow` is called once per overflow episode (until the next drain), so a slow
 * consumer is told, never silently starved and never left to grow without bound.
 */

export class Inbox<T> {
  readonly #max: number;
  readonly #pumpMax: number;
  readonly #onOverflow: (what: string, max: number) => void;
  #buffer: T[] = [];
  #bufferOverflowed = false;
  readonly #streams = new Set<Stream<T>>();
  #ended = false;

  /**
   * @param pumpMax - bound of the `pump()` buffer; 0 keeps no buffer.
   * @param streamMax - bound of each iterator's queue.
   */
  constructor(pumpMax: number, streamMax: number, onOverflow: (what: string, max: number) => void) {
    this.#pumpMax = pumpMax;
    this.#max = streamMax;
    this.#onOverflow = onOverflow;
  }

  push(item: T): void {
    if (this.#ended) return;
    if (this.#pumpMax > 0) {
      if (this.#buffer.length >= this.#pumpMax) {
        this.#buffer.shift();
        if (!this.#bufferOverflowed) {
          this.#bufferOverflowed = true;
          this.#onOverflow("pump()", this.#pumpMax);
        }
      }
      this.#buffer.push(item);
    }
    for (const stream of this.#streams) stream.push(item);
  }

  /** Everything buffered since the last drain, oldest first; the buffer is emptied. */
  drain(): T[] {
    const items = this.#buffer;
    this.#buffer = [];
    this.#bufferOverflowed = false;
    return items;
  }

  /** A new async iterator: it yields every event pushed from now on, until `end()`. */
  stream(): AsyncIterableIterator<T> {
    const stream = new Stream<T>(this.#max, this.#onOverflow, () => this.#streams.delete(stream));
    if (this.#ended) stream.end();
    else this.#streams.add(stream);
    return stream;
  }

  /** No more events: iterators finish once they have yielded what they hold. */
  end(): void {
    this.#ended = true;
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }
}

class Stream<T> implements AsyncIterableIterator<T> {
  readonly #max: number;
  readonly #onOverflow: (what: string, max: number) => void;
  readonly #detach: () => void;
  #items: T[] = [];
  /** `next()` calls waiting for an event, oldest first. */
  #waiting: Array<(result: IteratorResult<T, undefined>) => void> = [];
  #ended = false;
  #overflowed = false;

  constructor(max: number, onOverflow: (what: string, max: number) => void, detach: () => void) {
    this.#max = max;
    this.#onOverflow = onOverflow;
    this.#detach = detach;
  }

  push(item: T): void {
    const waiting = this.#waiting.shift();
    if (waiting) {
      waiting({ value: item, done: false });
      return;
    }
    if (this.#items.length >= this.#max) {
      this.#items.shift();
      if (!this.#overflowed) {
        this.#overflowed = true;
        this.#onOverflow("async iterator", this.#max);
      }
    }
    this.#items.push(item);
  }

  end(): void {
    this.#ended = true;
    for (const waiting of this.#waiting.splice(0)) waiting({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#items.length > 0) {
      const value = this.#items.shift() as T;
      if (this.#items.length === 0) this.#overflowed = false;
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
    });
  }

  /** `break` out of `for await`: stop listening and drop what is held. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.#items = [];
    this.#detach();
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
