import type { ConnectionRecord } from "../../actors/hooks.js";
import type { WriteBatch } from "../../actors/write-batch.js";
import type { OutboundFrame } from "../outbound-frame.js";

/** One place in a stream's queue: a frame, or a channel delivery waiting for its id (`ref`). */
interface Place {
  readonly ref: string | undefined;
  /** Undefined while waiting; null when it turned out to be nothing for this stream. */
  frame: string | OutboundFrame | null | undefined;
}

/**
 * The order of what this node sends to its SSE streams while one of their channel deliveries
 * waits for its id from the shared history (see `SharedChannels`). Such a delivery takes a place
 * in each listening stream's queue when it is made; everything sent to that stream afterwards
 * (whispers, emits, acks, other broadcasts) queues behind it, and the queue is written out in
 * order as the places are filled. A stream with nothing waiting has no queue and is written to
 * directly. Only streams are ever held: other members get a channel delivery at once, without
 * an id, as they get any room broadcast.
 */
export class HeldStreams {
  readonly #queues = new Map<string, Place[]>();
  /** What to do once a connection's queue is written out (a close that must come after it). */
  readonly #whenEmpty = new Map<string, () => void>();
  readonly #writes: WriteBatch;

  constructor(writes: WriteBatch) {
    this.#writes = writes;
  }

  /** Whether any stream is held at all (so broadcasts need not look each recipient up). */
  get holding(): boolean {
    return this.#queues.size > 0;
  }

  /** Takes a place for delivery `ref` at the end of connection `id`'s queue. */
  reserve(id: string, ref: string): void {
    const queue = this.#queues.get(id);
    const place: Place = { ref, frame: undefined };
    if (queue) queue.push(place);
    else this.#queues.set(id, [place]);
  }

  /** Queues a frame behind what connection `record` already waits for; false if nothing is. */
  push(record: ConnectionRecord, frame: string | OutboundFrame): boolean {
    const queue = this.#queues.get(record.id);
    if (!queue) return false;
    queue.push({ ref: undefined, frame });
    return true;
  }

  /**
   * Fills the place of delivery `ref` in `record`'s queue (null: nothing for it after all) and
   * writes the queue's ready head. `record` undefined: the connection is gone.
   */
  fill(
    id: string,
    record: ConnectionRecord | undefined,
    ref: string,
    frame: OutboundFrame | null,
  ): void {
    const queue = this.#queues.get(id);
    if (!queue) return;
    const place = queue.find((candidate) => candidate.ref === ref && candidate.frame === undefined);
    if (place) place.frame = frame;
    let ready = 0;
    while (ready < queue.length && queue[ready]?.frame !== undefined) ready += 1;
    if (ready === 0) return;
    const written = queue.splice(0, ready);
    if (queue.length === 0) this.#queues.delete(id);
    if (record?.deliverable) {
      this.#writes.hold(record.transport);
      for (const { frame: out } of written) if (out) record.transport.send(out);
    }
    if (queue.length === 0) this.#runWhenEmpty(id);
  }

  /**
   * Runs `then` once connection `id` has nothing waiting, at once if it has not: a close asked
   * for after a channel delivery must not overtake it (the delivery waits at most as long as
   * `SharedChannels` lets it wait for Redis).
   */
  afterHeld(id: string, then: () => void): void {
    if (this.#queues.has(id)) this.#whenEmpty.set(id, then);
    else then();
  }

  #runWhenEmpty(id: string): void {
    const then = this.#whenEmpty.get(id);
    if (!then) return;
    this.#whenEmpty.delete(id);
    then();
  }

  /** The connection left: what was queued for it goes nowhere. */
  forget(id: string): void {
    this.#queues.delete(id);
    this.#whenEmpty.delete(id);
  }
}
