/**
 * Latency statistics with bounded memory.
 *
 * A full run records millions of deliveries (5,000 clients × 1,000
 * broadcasts); keeping every latency would cost tens of megabytes inside the
 * load process that is itself being measured. A uniform reservoir sample
 * keeps percentiles unbiased at a fixed size, and the exact maximum is
 * tracked on the side because a sample would usually miss it.
 */

/** Uniform random sample of a stream (Vitter's algorithm R) plus its exact max. */
export class Reservoir {
  readonly #values: Float64Array;
  #seen = 0;
  #max = Number.NEGATIVE_INFINITY;

  constructor(capacity: number) {
    this.#values = new Float64Array(capacity);
  }

  add(value: number): void {
    if (value > this.#max) this.#max = value;
    const capacity = this.#values.length;
    if (this.#seen < capacity) {
      this.#values[this.#seen] = value;
    } else {
      // Keep the new value with probability capacity / (seen + 1).
      const slot = Math.floor(Math.random() * (this.#seen + 1));
      if (slot < capacity) this.#values[slot] = value;
    }
    this.#seen += 1;
  }

  get seen(): number {
    return this.#seen;
  }

  get max(): number {
    return this.#seen === 0 ? Number.NaN : this.#max;
  }

  /** The retained sample, sorted ascending (a copy; the reservoir stays usable). */
  sorted(): Float64Array {
    return this.#values.slice(0, Math.min(this.#seen, this.#values.length)).sort();
  }
}

/** Nearest-rank percentile of an ascending sample; NaN when it is empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  const index = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[index] ?? Number.NaN;
}
