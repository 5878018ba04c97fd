import type { AnyStateMachine, InspectionEvent, StateValue } from "xstate";
import { dottedState } from "../inspect.js";
import { type ActorKind, eventFields, type RecordDraft } from "./records.js";

export interface RecordObserverOptions {
  /** The broker's machines: `connection` and `supervisor` instances are recognised by logic. */
  readonly machines: Readonly<Record<string, AnyStateMachine>>;
  /** Show payload fields in event records. */
  readonly payloads: boolean;
  /** Receives each record as it is made. */
  readonly emit: (draft: RecordDraft) => void;
}

/** What the observer remembers of an actor it follows. */
interface Followed {
  readonly id: string;
  readonly kind: ActorKind;
  state: string | undefined;
  status: string | undefined;
  /** A connection that has been open: its `closed` is a disconnect. */
  connected: boolean;
}

/** The supervisor's id in records: there is one per broker, and its xstate id is a session id. */
export const SUPERVISOR_ID = "supervisor";

/** Reads an own-or-inherited property of an unknown value. */
function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function isStateValue(value: unknown): value is StateValue {
  return typeof value === "string" || (typeof value === "object" && value !== null);
}

function isOpen(state: string): boolean {
  return state === "open" || state.startsWith("open.");
}

/**
 * Turns xstate inspection events into feed records. It follows the broker's actors only: the
 * supervisor (recorded as `supervisor`), connections (by their client id), and children of
 * followed actors (timers); pool roots and other plumbing are left out. Snapshot records are
 * made only when an actor's state value or status changes, and a connection entering `open` or
 * leaving it for `closed` also gives a `connect` or `disconnect` record.
 *
 * @example
 * const observer = createRecordObserver({ machines, payloads: false, emit: feed.publish });
 * createActor(machine, { inspect: observer });
 */
export function createRecordObserver(
  options: RecordObserverOptions,
): (event: InspectionEvent) => void {
  const { machines, payloads, emit } = options;
  const followed = new WeakMap<object, Followed | null>();

  const follow = (ref: unknown): Followed | null => {
    if (typeof ref !== "object" || ref === null) return null;
    const known = followed.get(ref);
    if (known !== undefined) return known;
    const logic = field(ref, "logic");
    const parent = field(ref, "_parent");
    const parentFollowed =
      typeof parent === "object" && parent !== null ? (followed.get(parent) ?? null) : null;
    let kind: ActorKind | undefined;
    if (logic !== undefined && logic === machines.supervisor) kind = "supervisor";
    else if (logic !== undefined && logic === machines.connection) kind = "connection";
    else if (parentFollowed?.kind === "supervisor") kind = "timer";
    else if (parentFollowed) kind = "other";
    const entry: Followed | null =
      kind === undefined
        ? null
        : {
            id:
              kind === "supervisor"
                ? SUPERVISOR_ID
                : text(field(ref, "id")) || text(field(ref, "sessionId")),
            kind,
            state: undefined,
            status: undefined,
            connected: false,
          };
    followed.set(ref, entry);
    return entry;
  };

  const onSnapshot = (actor: Followed, snapshot: unknown) => {
    const value = field(snapshot, "value");
    const state = isStateValue(value) ? dottedState(value) : "";
    const status = text(field(snapshot, "status"));
    if (state === actor.state && status === actor.status) return;
    actor.state = state;
    actor.status = status;
    emit({ type: "snapshot", actor: actor.id, kind: actor.kind, state, status });
    if (actor.kind !== "connection") return;
    const context = field(snapshot, "context");
    if (!actor.connected && isOpen(state)) {
      actor.connected = true;
      const transport = field(context, "transport");
      emit({
        type: "connect",
        actor: actor.id,
        transport: text(field(transport, "kind")),
        codec: text(field(field(context, "codec"), "name")),
        address: text(field(transport, "remoteAddress")),
      });
    } else if (actor.connected && state === "closed") {
      actor.connected = false;
      const code = field(context, "closeCode");
      emit({
        type: "disconnect",
        actor: actor.id,
        code: typeof code === "number" ? code : null,
        reason: text(field(context, "closeReason")),
      });
    }
  };

  return (event) => {
    switch (event.type) {
      case "@xstate.actor": {
        const actor = follow(event.actorRef);
        if (!actor) return;
        const parent = follow(field(event.actorRef, "_parent"));
        emit({
          type: "actor",
          actor: actor.id,
          kind: actor.kind,
          ...(parent ? { parent: parent.id } : {}),
        });
        return;
      }
      case "@xstate.event": {
        const target = follow(event.actorRef);
        if (!target) return;
        const source = follow(event.sourceRef);
        emit({
          type: "event",
          ...(source ? { source: source.id } : {}),
          target: target.id,
          event: event.event.type,
          fields: eventFields(event.event, payloads),
        });
        return;
      }
      case "@xstate.snapshot": {
        const actor = follow(event.actorRef);
        if (actor) onSnapshot(actor, event.snapshot);
        return;
      }
      default:
        // Microsteps, actions and transitions are finer than the page shows.
        return;
    }
  };
}
