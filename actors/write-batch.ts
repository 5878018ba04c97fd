import type { Transport } from "../src/transport.js";

/**
 * Coalesces a tick's writes: the first write to a transport in a tick corks it, and one
 * `process.nextTick` uncorks every corked transport. When several broadcasts land in the same
 * tick (a burst of publishes read from one TCP chunk), each socket then gets one `writev` with
 * all of them instead of one `write` syscall per frame per socket.
 */
export class WriteBatch {
  #held = new Set<Transport>();
  #scheduled = false;

  /** Call before writing to `transport`; it stays corked until the end of the tick. */
  hold(transport: Transport): void {
    if (!transport.cork || this.#held.has(transport)) return;
    transport.cork();
    this.#held.add(transport);
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#release);
    }
  }

  readonly #release = (): void => {
    this.#scheduled = false;
    const held = this.#held;
    this.#held = new Set();
    for (const transport of held) transport.uncork?.();
  };
}
