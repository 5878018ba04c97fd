import type { ClientData, ClientHandle } from "./client-handle.js";
import type { PresenceEvent } from "./cluster/presence.js";
import type { BrokerError } from "./errors.js";

/**
 * The lifecycle events every broker emits. Client frames can never carry these names.
 *
 * @example
 * broker.on(ServerEvent.CONNECT, (client) => client.send("welcome"));
 * broker.on(ServerEvent.DISCONNECT, (client, { code, reason }) => log(client.id, code, reason));
 */
export const ServerEvent = {
  CONNECT: "connect",
  MESSAGE: "message",
  DISCONNECT: "disconnect",
  ERROR: "error",
  /** A client joined or left a room, on this node or (with a clustered adapter) any other. */
  PRESENCE: "presence",
  /** A client's unsent bytes passed `maxBufferedBytes`: it is lagging, its frames are skipped. */
  SLOW: "slow",
} as const;

export type ServerEventName = (typeof ServerEvent)[keyof typeof ServerEvent];

/** How a client left: the close code (1000 normal, 1001 shutdown, 1006 vanished…) and reason. */
export interface DisconnectInfo {
  readonly code: number;
  readonly reason: string;
}

/** Why a client is lagging: its unsent bytes, and what the broker will do about it. */
export interface SlowInfo {
  readonly bufferedAmount: number;
  readonly policy: "close" | "drop";
}

/**
 * A custom event listener (`#chat`, `join`…). What it returns (or resolves to) answers a JSON
 * frame that carried an `id`, as an `ack` frame.
 */
export type EventListener<TData extends object = ClientData> = (
  client: ClientHandle<TData>,
  data: unknown,
) => unknown;

/** The listener signature of each lifecycle event. */
export interface LifecycleListeners<TData extends object = ClientData> {
  connect: (client: ClientHandle<TData>) => unknown;
  /** Frames with no listener of their own; `event` is the name they carried. */
  message: (client: ClientHandle<TData>, data: unknown, event: string) => unknown;
  disconnect: (client: ClientHandle<TData>, info: DisconnectInfo) => unknown;
  /** `client` is undefined for failures outside any client (a timer callback, an encoding). */
  error: (client: ClientHandle<TData> | undefined, error: BrokerError) => unknown;
  /** Every join and leave, on every node: `{ room, id, action: "join" | "leave", node }`. */
  presence: (event: PresenceEvent) => unknown;
  /** A client started lagging (see `maxBufferedBytes`, `lagPolicy`). */
  slow: (client: ClientHandle<TData>, info: SlowInfo) => unknown;
}

/** The listener type for an event name: lifecycle names get theirs, any other a custom one. */
export type ListenerFor<
  TEvent extends string,
  TData extends object = ClientData,
> = TEvent extends keyof LifecycleListeners<TData>
  ? LifecycleListeners<TData>[TEvent]
  : EventListener<TData>;

type AnyListener = (...args: never[]) => unknown;

/** Listeners by event name; several per name, called in the order they were added. */
export class ListenerRegistry {
  readonly #byEvent = new Map<string, AnyListener[]>();

  add(event: string, listener: AnyListener): void {
    const listeners = this.#byEvent.get(event);
    if (listeners) listeners.push(listener);
    else this.#byEvent.set(event, [listener]);
  }

  /** Removes one listener, or every listener of the event when none is given. */
  remove(event: string, listener?: AnyListener): void {
    if (!listener) {
      this.#byEvent.delete(event);
      return;
    }
    const remaining = this.#byEvent.get(event)?.filter((candidate) => candidate !== listener);
    if (remaining?.length) this.#byEvent.set(event, remaining);
    else this.#byEvent.delete(event);
  }

  /** The listeners of an event, typed by the caller who knows the event's signature. */
  get<TListener extends AnyListener>(event: string): readonly TListener[] {
    return (this.#byEvent.get(event) ?? []) as TListener[];
  }
}
