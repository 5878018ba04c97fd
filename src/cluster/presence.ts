import type { BrokerError } from "../errors.js";
import { handlerFailure } from "../errors.js";
import type { ListenerRegistry } from "../listeners.js";
import type { PresenceAction } from "./messages.js";

/**
 * What a `presence` listener gets: a client joined or left a room. It fires on every node for
 * every join and leave anywhere in the cluster (a disconnect leaves every room the client was
 * in), including on the node of the client itself.
 *
 * @example
 * broker.on("presence", ({ room, id, action, node }) => {
 *   console.log(`${id} ${action === "join" ? "joined" : "left"} ${room} on node ${node}`);
 * });
 */
export interface PresenceEvent {
  readonly room: string;
  readonly id: string;
  readonly action: PresenceAction;
  /** The node the client is connected to: `broker.nodeId` there. */
  readonly node: string;
}

type PresenceListener = (event: PresenceEvent) => unknown;

/**
 * Runs the `presence` listeners, one call per room. Like every listener, one that throws or
 * rejects becomes an `error` event (`SB_ERR_HANDLER_FAILED`) and the others still run.
 */
export function runPresenceListeners(
  listeners: ListenerRegistry,
  change: {
    readonly id: string;
    readonly rooms: readonly string[];
    readonly action: PresenceAction;
  },
  node: string,
  report: (error: BrokerError) => void,
): void {
  const registered = listeners.get<PresenceListener>("presence");
  if (registered.length === 0) return;
  const fail = (cause: unknown) => report(handlerFailure("presence", cause));
  for (const room of change.rooms) {
    const event: PresenceEvent = { room, id: change.id, action: change.action, node };
    for (const listener of registered) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch(fail);
      } catch (cause) {
        fail(cause);
      }
    }
  }
}
