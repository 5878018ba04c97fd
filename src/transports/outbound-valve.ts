import type { TransportSink } from "../transport.js";

/** Something that says when its kernel buffer has room again (a net socket, an HTTP response). */
interface Drainable {
  /** True once a write returned false: only then will `drain` be emitted. */
  readonly writableNeedDrain: boolean;
  once(event: "drain", listener: () => void): unknown;
}

/**
 * The slow-consumer check every transport shares. After each write it compares the bytes the
 * kernel has not taken yet with `maxBufferedBytes`; past it, the transport reports
 * `socket.lagging` once and, until the buffer drains, skips (and counts) every further frame, as
 * uWebSockets.js does with its `maxBackpressure`. So a client that never reads costs at most
 * `maxBufferedBytes` plus one frame of server memory, whatever is broadcast meanwhile. The
 * connection actor owns what happens next (the `lagging` state and its policy); the valve only
 * measures, skips and reports.
 *
 * The `drain` listener is added only while lagging. A stream emits `drain` only after a write
 * returned false (its buffer reached `highWaterMark`, 16 KiB for sockets), so a client lags only
 * once that is so too: a `maxBufferedBytes` under 16 KiB acts as 16 KiB, or a client lagging
 * with less queued would never hear `drain` and stay lagging for good.
 */
export class OutboundValve {
  readonly #limit: number;
  #lagging = false;
  #skipped = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** False while lagging: the frame is skipped and counted instead of written. */
  admit(): boolean {
    if (!this.#lagging) return true;
    this.#skipped += 1;
    return false;
  }

  /**
   * Call after a write with the transport's buffered bytes; past the limit it reports
   * `socket.lagging` and waits for `drain` on `socket` to report `socket.drained`.
   */
  check(bufferedAmount: number, socket: Drainable, sink: TransportSink | undefined): void {
    if (this.#lagging || bufferedAmount <= this.#limit || !sink || !socket.writableNeedDrain) {
      return;
    }
    this.#lagging = true;
    sink({ type: "socket.lagging", bufferedAmount });
    socket.once("drain", () => {
      this.#lagging = false;
      const skipped = this.#skipped;
      this.#skipped = 0;
      sink({ type: "socket.drained", skipped });
    });
  }
}
