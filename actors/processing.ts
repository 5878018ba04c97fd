import type { AnyActorRef } from "xstate";

/** The part of xstate's (private) mailbox read here: the event being processed, if any. */
interface MailboxView {
  readonly _current?: unknown;
}

/**
 * Whether an actor is in the middle of processing an event, with more perhaps queued behind it.
 * An idle actor has applied every event sent to it so far (xstate processes an event sent to an
 * idle actor before `send` returns), so work done directly instead of through its mailbox cannot
 * overtake any of them.
 *
 * xstate exposes no such flag: this reads its mailbox (`mailbox._current`, the event being
 * processed until it is done), private state read in this one place, as the WebSocket transport
 * reads ws's sender. If that shape ever changes, the actor counts as busy: callers then take
 * the mailbox path, slower but never out of order (test/actors/processing.test.ts pins both).
 */
export function isProcessing(actor: AnyActorRef): boolean {
  const mailbox = (actor as unknown as { mailbox?: MailboxView }).mailbox;
  if (typeof mailbox !== "object" || mailbox === null || !("_current" in mailbox)) return true;
  return mailbox._current !== null;
}
