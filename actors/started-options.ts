import type { AnyActorRef } from "xstate";

/** What every started connection actor keeps as its `options`: one shared, empty object. */
export const STARTED_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

/** The part of xstate's `Actor` touched here: the options it was created with. */
interface WithOptions {
  options?: unknown;
}

/**
 * Lets go of the options a connection actor was created with, once it has started. Call it
 * right after `start()`.
 *
 * xstate keeps `{ ...defaultOptions, ...options }` on every actor for its whole life, but reads
 * it only while constructing and starting (`input`, `devTools`). On Node 20 that spread gives
 * each of those objects a hidden class of its own (V8 clones `defaultOptions` into a map that
 * cannot hold transitions, so adding `id`, `parent` and `input` copies the map every time):
 * about 380 bytes per connection with the input it holds, 6% of an idle connection's heap.
 * Swapping in one shared object makes all of it garbage.
 *
 * `options` is a public, writable field of xstate's `Actor`. If a later xstate reads it after
 * start, it finds no options, as if none had been given (test/actors/started-options.test.ts
 * pins that a connection still works end to end and that the field is swapped).
 */
export function releaseStartOptions(actor: AnyActorRef): void {
  const view = actor as unknown as WithOptions;
  if (typeof view.options === "object" && view.options !== null) view.options = STARTED_OPTIONS;
}
