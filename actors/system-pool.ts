import { type AnyActorRef, type AnyEventObject, createActor, fromCallback } from "xstate";
import type { InspectionObserver } from "../src/options.js";

/** How many connection actors share one xstate system. */
export const ACTORS_PER_SYSTEM = 128;

/** Told when an actor created under a shard's root fails (its action threw): its id, the error. */
export type ChildFailureHandler = (id: string, error: unknown) => void;

// xstate tells a failed actor's parent with `xstate.error.actor.<id>`, carrying the error.
const CHILD_ERROR_PREFIX = "xstate.error.actor.";

// A shard's root does nothing but anchor a system for the actors created under it, and pass on
// their failures: one listener per shard rather than an error observer (an object, a bound
// function and a closure) on every connection actor.
const shardRoot = fromCallback<AnyEventObject, ChildFailureHandler | undefined>(
  ({ input: onChildError, receive }) => {
    if (!onChildError) return;
    receive((event) => {
      if (!event.type.startsWith(CHILD_ERROR_PREFIX)) return;
      onChildError(event.type.slice(CHILD_ERROR_PREFIX.length), event.error);
    });
  },
);

/**
 * Groups connection actors into shared xstate systems of at most `ACTORS_PER_SYSTEM` actors:
 * create each with `parent: pool.nextParent()`. One system per connection costs about 2 KB each
 * (a system's maps, closures and per-object hidden classes); one system for all makes every
 * disconnect O(connections), because xstate cancels a stopping actor's delayed events by
 * scanning its whole system's schedule. Shards bound both.
 *
 * A full shard is simply dropped: once its actors have ended nothing references its root, and
 * it is garbage like any other object (stopping it would race xstate's own done events).
 */
export class ActorSystemPool {
  readonly #inspect: InspectionObserver | undefined;
  readonly #onChildError: ChildFailureHandler | undefined;
  #root: AnyActorRef | undefined;
  #handedOut = 0;

  /** `onChildError` hears of every actor created under this pool's roots that fails. */
  constructor(inspect?: InspectionObserver, onChildError?: ChildFailureHandler) {
    this.#inspect = inspect;
    this.#onChildError = onChildError;
  }

  /** The parent for the next actor: the current shard's root, or a new shard's. */
  nextParent(): AnyActorRef {
    if (!this.#root || this.#handedOut >= ACTORS_PER_SYSTEM) {
      const input = this.#onChildError;
      this.#root = createActor(
        shardRoot,
        this.#inspect ? { input, inspect: this.#inspect } : { input },
      ).start();
      this.#handedOut = 0;
    }
    this.#handedOut += 1;
    return this.#root;
  }
}
