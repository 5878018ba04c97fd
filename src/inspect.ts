import type { AnyStateMachine, StateValue } from "xstate";
import type { SupervisorActorRef } from "../actors/supervisor.js";

/** One connection actor as `inspect()` shows it. */
export interface ConnectionView {
  readonly id: string;
  /** The active state as a dotted path, e.g. `open.alive`. */
  readonly state: string;
  /** The active state's `description` from the machine definition. */
  readonly description: string;
  readonly transport: string;
  readonly protocol: string;
  readonly address: string;
  readonly rooms: readonly string[];
}

/** A JSON-serialisable snapshot of every actor the broker runs. */
export interface BrokerSnapshot {
  readonly supervisor: {
    readonly state: string;
    readonly description: string;
    readonly connections: number;
    readonly rooms: Readonly<Record<string, readonly string[]>>;
    readonly timers: readonly { readonly id: string; readonly kind: string; readonly ms: number }[];
  };
  readonly connections: readonly ConnectionView[];
}

/** `open` or `{ open: "alive" }` -> `open` / `open.alive`. */
export function dottedState(value: StateValue): string {
  if (typeof value === "string") return value;
  const [key, child] = Object.entries(value)[0] ?? [];
  if (key === undefined) return "";
  return child === undefined ? key : `${key}.${dottedState(child)}`;
}

/** The `description` of a machine's state node at a dotted path. */
export function describeState(machine: AnyStateMachine, dotted: string): string {
  try {
    return machine.getStateNodeById(`${machine.id}.${dotted}`).description ?? "";
  } catch {
    return "";
  }
}

/** Builds the serialisable view on demand from the supervisor's live registries. */
export function snapshotOf(
  supervisor: SupervisorActorRef,
  supervisorMachine: AnyStateMachine,
  connectionMachine: AnyStateMachine,
): BrokerSnapshot {
  const snapshot = supervisor.getSnapshot();
  const { registry, timers } = snapshot.context;
  const supervisorState = dottedState(snapshot.value);
  const rooms: Record<string, readonly string[]> = {};
  for (const [room, members] of registry.rooms) rooms[room] = [...members];
  const connections: ConnectionView[] = [];
  for (const record of registry.connections.values()) {
    const state = dottedState(record.ref.getSnapshot().value);
    connections.push({
      id: record.id,
      state,
      description: describeState(connectionMachine, state),
      transport: record.transport.kind,
      protocol: record.codec.name,
      address: record.transport.remoteAddress,
      rooms: [...record.rooms],
    });
  }
  return {
    supervisor: {
      state: supervisorState,
      description: describeState(supervisorMachine, supervisorState),
      connections: registry.size,
      rooms,
      timers: [...timers].map(([id, info]) => ({ id, kind: info.kind, ms: info.ms })),
    },
    connections,
  };
}
