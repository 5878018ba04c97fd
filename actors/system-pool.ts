import { type AnyActorRef, createActor, fromCallback } from "xstate";
import type { InspectionObserver } from "../src/options.js";

/** How many connection actors share one xstate system. */
export const ACTORS_PER_SYSTEM = 128;

// A shard's root does nothing itself: it only anchors a system for the actors created under it.
const shardRoot = fromCallback(() => {});

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
  #root: AnyActorRef | undefined;
  #handedOut = 0;

  constructor(inspect?: InspectionObserver) {
    this.#inspect = inspect;
  }

  /** The parent for the next actor: the current shard's root, or a new shard's. */
  nextParent(): AnyActorRef {
    if (!this.#root || this.#handedOut >= ACTORS_PER_SYSTEM) {
      this.#root = createActor(shardRoot, this.#inspect ? { inspect: this.#inspect } : {}).start();
      this.#handedOut = 0;
    }
    this.#handedOut += 1;
    return this.#root;
  }
}
