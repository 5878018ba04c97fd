import { type AnyActorRef, createActor, fromCallback } from "xstate";
import type { InspectionObserver } from "../src/options.js";

/** How many connection actors share one xstate system. */
export const ACTORS_PER_SYSTEM = 128;

interface Shard {
  readonly root: AnyActorRef;
  admitted: number;
  live: number;
}

/** A place in the pool: the parent to create an actor under, and what to call when it ends. */
export interface PoolSlot {
  readonly parent: AnyActorRef;
  readonly release: () => void;
}

// The shard root does nothing itself: it only anchors a system for its children.
const shardRoot = fromCallback(() => {});

/**
 * Groups connection actors into shared xstate systems of at most `ACTORS_PER_SYSTEM` actors.
 * One system per connection costs about 2 KB each (a system's maps, closures and per-object
 * hidden classes); one system for all makes every disconnect O(connections), because xstate
 * cancels a stopping actor's delayed events by scanning its whole system's schedule. Shards
 * bound both. A shard's root stops once it has handed out all its slots and they all ended.
 */
export class ActorSystemPool {
  readonly #inspect: InspectionObserver | undefined;
  #current: Shard | undefined;

  constructor(inspect?: InspectionObserver) {
    this.#inspect = inspect;
  }

  take(): PoolSlot {
    let shard = this.#current;
    if (!shard || shard.admitted >= ACTORS_PER_SYSTEM) {
      const root = createActor(shardRoot, this.#inspect ? { inspect: this.#inspect } : {});
      shard = { root: root.start(), admitted: 0, live: 0 };
      this.#current = shard;
    }
    const owner = shard;
    owner.admitted += 1;
    owner.live += 1;
    let released = false;
    return {
      parent: owner.root,
      release: () => {
        if (released) return;
        released = true;
        owner.live -= 1;
        if (owner.live === 0 && owner.admitted >= ACTORS_PER_SYSTEM) owner.root.stop();
      },
    };
  }
}
