import type { FromCluster } from "../src/cluster/link.js";
import type { TransportEvent } from "../src/transport.js";
import type { ConnectionActorRef } from "./connection.js";
import type { Divert } from "./delivery.js";
import type { ConnectionRecord } from "./hooks.js";
import type { SupervisorContext } from "./supervisor-types.js";

// Small helpers of the supervisor's actions.

/**
 * A transport's sink, bound to its connection actor: a bound function (about 40 bytes) rather
 * than a closure and its scope per connection. A stopped actor ignores events anyway; the check
 * keeps late socket events quiet (no warning, nothing for the inspector).
 */
export function forwardWhileActive(this: ConnectionActorRef, event: TransportEvent): void {
  if (this.getSnapshot().status === "active") this.send(event);
}

/** The rooms a connection is in, copied before the registry empties them. */
export const roomsOf = (record: ConnectionRecord | undefined): string[] =>
  record ? [...record.rooms] : [];

/**
 * Where a frame made here goes while its recipient stream waits for a shared channel delivery
 * (behind it; see `SharedChannels`). Frames from other nodes are written at once.
 */
export function queueOf(context: SupervisorContext, event: FromCluster): Divert | undefined {
  return event.remote || !context.shared?.holding ? undefined : context.shared.queue;
}

/**
 * Asks a connection to close, after what it is owed: a stream still waiting for a channel
 * delivery's id from Redis closes once that delivery (and what queued behind it) is written.
 */
export function closeAfterHeld(
  context: SupervisorContext,
  record: ConnectionRecord,
  code: number,
  reason: string,
): void {
  const close = () => record.ref.send({ type: "connection.close", code, reason });
  if (context.shared && record.transport.kind === "sse") context.shared.afterHeld(record.id, close);
  else close();
}

/** Hands the histories of channels whose last member just left to their expiry. */
export function releaseEmptied(context: SupervisorContext, rooms: readonly string[]): void {
  const histories = context.channels?.histories;
  if (!histories) return;
  const now = Date.now();
  for (const room of rooms) if (!context.registry.rooms.has(room)) histories.release(room, now);
}
