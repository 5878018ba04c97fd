import type { AnyStateMachine, InspectionEvent } from "xstate";
import type { RequestRoute } from "../http-front.js";
import type { BrokerSnapshot } from "../inspect.js";

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

/** Placeholder until the inspector lands: serves the snapshot only. */
export function createInspector(setup: InspectorSetup): Inspector {
  return {
    observer: () => {},
    route: (request, response) => {
      const { pathname } = new URL(request.url ?? "/", "http://localhost");
      if (pathname !== "/_inspect/snapshot") return false;
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(setup.snapshot()));
      return true;
    },
    close: () => {},
  };
}
