import type { AnyStateMachine, AnyStateNode } from "xstate";

/** One state node of a machine, as the page draws it. */
export interface GraphState {
  /** The state node's id, e.g. `connection.open.alive`. */
  readonly id: string;
  /** The dotted path below the root, `""` for the root itself, e.g. `open.alive`. */
  readonly path: string;
  readonly description: string;
  /** The parent's path; null for the root. */
  readonly parent: string | null;
  /** The initial state of its parent. */
  readonly initial: boolean;
  readonly final: boolean;
  readonly type: "atomic" | "compound" | "parallel" | "final" | "history";
}

/** How a transition is taken. */
export type TransitionKind = "event" | "after" | "always";

/** One transition; `target` null for a targetless one (actions only, the state stays). */
export interface GraphTransition {
  readonly source: string;
  readonly target: string | null;
  /** The event name: `socket.closed`, `after heartbeatInterval`, `always`. */
  readonly event: string;
  readonly kind: TransitionKind;
  /** The named guard, if any. */
  readonly guard?: string;
  /** The named actions, in order. */
  readonly actions: readonly string[];
}

/** A machine definition as plain data: what `/_inspect/machines` serves per machine. */
export interface MachineGraph {
  /** The machine's id (its root state's id). */
  readonly id: string;
  readonly description: string;
  readonly states: readonly GraphState[];
  readonly transitions: readonly GraphTransition[];
}

/** Delayed transitions appear in `transitions` too, under xstate's internal event names. */
const DELAYED_EVENT_PREFIX = "xstate.after.";

/** A named guard or action's name: `"name"` or `{ type: "name" }`; inline functions have none. */
function nameOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && "type" in value) {
    return typeof value.type === "string" ? value.type : undefined;
  }
  return undefined;
}

function pathOf(node: AnyStateNode): string {
  return node.path.join(".");
}

interface TransitionLike {
  readonly target: readonly AnyStateNode[] | undefined;
  readonly guard?: unknown;
  readonly actions: readonly unknown[];
}

/** One entry per target (several for a parallel target), or one with target null. */
function edgesOf(
  source: AnyStateNode,
  transition: TransitionLike,
  event: string,
  kind: TransitionKind,
): GraphTransition[] {
  const guard = nameOf(transition.guard);
  const actions = transition.actions.map(nameOf).filter((name) => name !== undefined);
  const base = { source: pathOf(source), event, kind, actions, ...(guard ? { guard } : {}) };
  const targets = transition.target ?? [];
  if (targets.length === 0) return [{ ...base, target: null }];
  return targets.map((target) => ({ ...base, target: pathOf(target) }));
}

function delayName(delay: unknown): string {
  if (typeof delay === "number") return `after ${delay}ms`;
  if (typeof delay === "string") return `after ${delay}`;
  return "after (computed)";
}

/**
 * Turns a machine definition into a serialisable graph by walking its state nodes from the root:
 * every state with its description, and every transition (`on`, `after`, `always`) with its
 * source, target, event, guard and actions. Pure; the page lays it out and draws it.
 *
 * @example
 * const graph = machineGraph(connectionMachine);
 * graph.states.find((state) => state.path === "open.alive")?.description;
 * graph.transitions.filter((t) => t.event === "after heartbeatInterval");
 */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const states: GraphState[] = [];
  const transitions: GraphTransition[] = [];
  const visit = (node: AnyStateNode) => {
    const parent = node.parent;
    const initialOfParent = parent?.initial?.target ?? [];
    states.push({
      id: node.id,
      path: pathOf(node),
      description: node.description ?? "",
      parent: parent ? pathOf(parent) : null,
      initial: initialOfParent.includes(node),
      final: node.type === "final",
      type: node.type,
    });
    for (const [eventType, definitions] of node.transitions) {
      if (eventType.startsWith(DELAYED_EVENT_PREFIX)) continue;
      for (const definition of definitions) {
        transitions.push(...edgesOf(node, definition, eventType, "event"));
      }
    }
    for (const definition of node.after) {
      transitions.push(...edgesOf(node, definition, delayName(definition.delay), "after"));
    }
    for (const definition of node.always ?? []) {
      transitions.push(...edgesOf(node, definition, "always", "always"));
    }
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return { id: machine.id, description: machine.root.description ?? "", states, transitions };
}

/** The graphs of several machines, by name. */
export function machineGraphs(
  machines: Readonly<Record<string, AnyStateMachine>>,
): Record<string, MachineGraph> {
  const graphs: Record<string, MachineGraph> = {};
  for (const [name, machine] of Object.entries(machines)) graphs[name] = machineGraph(machine);
  return graphs;
}
