import type { AnyStateMachine, InspectionEvent } from "xstate";
import type { RequestRoute } from "../http-front.js";
import type { BrokerSnapshot } from "../inspect.js";
import { Feed } from "./feed.js";
import { machineGraphs } from "./graph.js";
import { createRecordObserver } from "./observer.js";
import { createInspectorRoute } from "./routes.js";

export type { FeedHello } from "./feed.js";
export type { GraphState, GraphTransition, MachineGraph } from "./graph.js";
export type { ActorKind, FeedRecord } from "./records.js";

/** What the inspector needs from the broker. */
export interface InspectorSetup {
  /** Required to open the page and its feeds, when set. */
  readonly token: string | undefined;
  /** Show message payloads (frames, data) in the event log; hidden by default. */
  readonly payloads: boolean;
  /** `broker.inspect()`. */
  readonly snapshot: () => BrokerSnapshot;
  /** The machine definitions to draw, by name (`connection`, `supervisor`). */
  readonly machines: Readonly<Record<string, AnyStateMachine>>;
}

/** The live inspector: an inspection observer feeding a page served under `/_inspect`. */
export interface Inspector {
  /** Receives every actor's inspection events. */
  readonly observer: (event: InspectionEvent) => void;
  /** Serves `/_inspect`, `/_inspect/snapshot` and the live feed. */
  readonly route: RequestRoute;
  /** Ends every open feed (broker shutdown). */
  close(): void;
}

/**
 * Wires the inspector: an observer that turns inspection events into feed records, the feed
 * that streams them to open pages, and the route serving the page, snapshot, machine graphs
 * and feed under `/_inspect`.
 *
 * @example
 * const inspector = createInspector({ token: undefined, payloads: false, snapshot, machines });
 * createActor(supervisorMachine, { inspect: inspector.observer });
 * http.addRequestRoute(inspector.route);
 */
export function createInspector(setup: InspectorSetup): Inspector {
  const feed = new Feed({ payloads: setup.payloads });
  const record = createRecordObserver({
    machines: setup.machines,
    payloads: setup.payloads,
    emit: (draft) => feed.publish(draft),
  });
  return {
    observer: (event) => {
      try {
        record(event);
      } catch {
        // The inspector only watches: a fault in it must never reach the actors it observes.
      }
    },
    route: createInspectorRoute({
      token: setup.token,
      snapshot: setup.snapshot,
      graphs: machineGraphs(setup.machines),
      feed,
    }),
    close: () => feed.close(),
  };
}
