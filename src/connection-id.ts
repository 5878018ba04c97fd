import { nanoid } from "nanoid";

/**
 * A new connection id: a nanoid, as one flat string. nanoid builds its id with `+=`, which V8
 * keeps as a chain of about ten rope ("cons") strings until something flattens it; every
 * holder of the id (the actor, its context, the registry, the handle) then keeps the whole
 * chain alive, about 300 bytes per connection instead of 40. Re-reading the bytes yields
 * one sequential string.
 */
export function connectionId(): string {
  return Buffer.from(nanoid(), "latin1").toString("latin1");
}
