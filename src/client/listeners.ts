/**
 * The listener registry behind `on`/`off`: several listeners per name, called in the order they
 * were added. A listener that throws never stops the client or the other listeners: the failure
 * is handed to `onFailure` (the client reports it as an `error` event).
 */

export type AnyListener = (data: unknown) => void;

export class Listeners {
  readonly #byName = new Map<string, Set<AnyListener>>();
  readonly #onFailure: (name: string, error: unknown) => void;

  constructor(onFailure: (name: string, error: unknown) => void) {
    this.#onFailure = onFailure;
  }

  add(name: string, listener: AnyListener): void {
    let set = this.#byName.get(name);
    if (!set) {
      set = new Set();
      this.#byName.set(name, set);
    }
    set.add(listener);
  }

  /** Removes one listener, or every listener of `name` when none is given. */
  remove(name: string, listener?: AnyListener): void {
    if (!listener) {
      this.#byName.delete(name);
      return;
    }
    const set = this.#byName.get(name);
    set?.delete(listener);
    if (set?.size === 0) this.#byName.delete(name);
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Calls every listener of `name`; returns false when there was none. */
  emit(name: string, data: unknown): boolean {
    const set = this.#byName.get(name);
    if (!set) return false;
    // A copy: a listener may add or remove listeners while we iterate.
    for (const listener of [...set]) {
      try {
        listener(data);
      } catch (error) {
        this.#onFailure(name, error);
      }
    }
    return true;
  }
}
