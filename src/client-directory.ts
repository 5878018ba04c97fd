import type { ActorHooks, CloseInfo, ConnectionRecord } from "../actors/hooks.js";
import type { InboundMessage } from "../protocols/codec.js";
import { unwrapAuth } from "./admission.js";
import type { AuthSessions } from "./auth-session.js";
import { type ClientData, ClientHandle, type HandleCommands } from "./client-handle.js";
import type { ListenerDispatcher } from "./dispatcher.js";
import type { BrokerError } from "./errors.js";
import type { PullFeed } from "./pull-feed.js";

export interface ClientDirectoryParts<TData extends object> {
  readonly commands: HandleCommands;
  readonly dispatcher: ListenerDispatcher<TData>;
  readonly pull: PullFeed<TData>;
  /** What a lagging client is in for, as the `slow` listeners are told. */
  readonly lagPolicy: "close" | "drop";
  /** Credentials after the handshake; read when needed (it is created after the directory). */
  readonly auth: () => AuthSessions | undefined;
}

/**
 * The user-facing side of the connections: one `ClientHandle` per live client, and the
 * `ActorHooks` through which the actors reach the listeners (connect, frames, disconnect,
 * slow, errors), the pull feed and the credentials sessions. The broker owns the actors; this
 * owns what the application sees of them.
 */
export class ClientDirectory<TData extends object = ClientData> implements ActorHooks {
  /** Live clients by id, as `broker.clients` shows them. */
  readonly handles = new Map<string, ClientHandle<TData>>();
  /** What `authenticate` answered for connections accepted but not yet admitted, by id. */
  readonly #pending = new Map<string, object>();
  readonly #parts: ClientDirectoryParts<TData>;

  constructor(parts: ClientDirectoryParts<TData>) {
    this.#parts = parts;
  }

  /** Keeps what `authenticate` answered until the connection is admitted. */
  expect(id: string, data: object): void {
    this.#pending.set(id, data);
  }

  admitted(record: ConnectionRecord): void {
    // What `authenticate` answered is the application's data for this client, by contract.
    const pending = this.#pending.get(record.id);
    if (pending) this.#pending.delete(record.id);
    const { data, expiresAt } = pending
      ? unwrapAuth(pending)
      : { data: undefined, expiresAt: undefined };
    const handle = new ClientHandle<TData>(record, this.#parts.commands, data as TData | undefined);
    this.handles.set(record.id, handle);
    this.#parts.auth()?.expireAt(record.id, expiresAt);
  }

  connected(id: string): void {
    const client = this.handles.get(id);
    if (!client) return;
    this.#parts.pull.record({ type: "connect", client });
    this.#parts.dispatcher.connected(client);
  }

  received(id: string, message: InboundMessage): void {
    const client = this.handles.get(id);
    if (!client) return;
    this.#parts.pull.record({ type: "message", client, event: message.event, data: message.data });
    this.#parts.dispatcher.received(client, message);
  }

  disconnected(record: ConnectionRecord, info: CloseInfo): void {
    const client = this.handles.get(record.id);
    if (!client) return;
    this.handles.delete(record.id);
    this.#parts.auth()?.forget(record.id);
    const disconnect = { code: info.code, reason: info.reason };
    this.#parts.pull.record({ type: "disconnect", client, info: disconnect });
    this.#parts.dispatcher.disconnected(client, disconnect);
  }

  reauthenticate(id: string, message: InboundMessage): void {
    const client = this.handles.get(id);
    if (client) this.#parts.auth()?.reauthenticate(id, client.address, message);
  }

  lagging(id: string, bufferedAmount: number): void {
    const client = this.handles.get(id);
    if (client)
      this.#parts.dispatcher.slow(client, { bufferedAmount, policy: this.#parts.lagPolicy });
  }

  failed(id: string | undefined, error: BrokerError): void {
    this.#parts.dispatcher.report(id === undefined ? undefined : this.handles.get(id), error);
  }
}
