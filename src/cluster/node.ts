import { nanoid } from "nanoid";
import type { ConnectionRegistry } from "../../actors/connection-registry.js";
import type { SupervisorEvent } from "../../actors/supervisor.js";
import type { BrokerError } from "../errors.js";
import type { ListenerRegistry } from "../listeners.js";
import type { Adapter, AdapterStats } from "./adapter.js";
import type { HistoryStore } from "./history-store.js";
import type { ClusterLink } from "./link.js";
import {
  CLUSTER_PROTOCOL_VERSION,
  type ClusterClient,
  type ClusterCommand,
  type ClusterMessage,
  type PresenceAction,
} from "./messages.js";
import { runPresenceListeners } from "./presence.js";

export interface ClusterNodeOptions {
  readonly adapter: Adapter;
  readonly listeners: ListenerRegistry;
  /** Applies another node's command here, as a supervisor event marked `remote`. */
  readonly apply: (event: SupervisorEvent) => void;
  /** The supervisor's registry, read to answer cluster-wide queries. */
  readonly registry: () => ConnectionRegistry;
  readonly report: (error: BrokerError) => void;
}

/**
 * This broker as one node of a cluster: it stamps and publishes what the supervisor hands it,
 * turns other nodes' messages into supervisor events, runs the presence listeners and answers
 * and collects cluster-wide queries. With the in-memory adapter it publishes nothing.
 */
export class ClusterNode implements ClusterLink {
  /** Unique per broker instance; every message it publishes carries it as `node`. */
  readonly id = nanoid();
  readonly #options: ClusterNodeOptions;
  /** Open queries by request id: the clients collected so far. */
  readonly #queries = new Map<string, ClusterClient[]>();
  /** Ends every open query at once (on close). */
  readonly #finishers = new Set<() => void>();
  #closed = false;

  constructor(options: ClusterNodeOptions) {
    this.#options = options;
  }

  /** Whether ids and channels unknown here may live on another node. */
  get clustered(): boolean {
    return this.#options.adapter.clustered;
  }

  /** The adapter's shared channel histories, if it keeps them. */
  get history(): HistoryStore | undefined {
    return this.#options.adapter.history;
  }

  /** Whether a message for the other nodes would get out now. */
  get reachable(): boolean {
    return this.clustered && this.#options.adapter.stats().connected;
  }

  start(): Promise<void> {
    return this.#options.adapter.start({
      id: this.id,
      receive: (message) => this.#receive(message),
      failed: (error) => this.#options.report(error),
    });
  }

  stats(): AdapterStats {
    return this.#options.adapter.stats();
  }

  publish(command: ClusterCommand): boolean {
    if (!this.clustered) return false;
    const message: ClusterMessage = { ...command, v: CLUSTER_PROTOCOL_VERSION, node: this.id };
    return this.#options.adapter.publish(message);
  }

  presence(id: string, rooms: readonly string[], action: PresenceAction): void {
    runPresenceListeners(
      this.#options.listeners,
      { id, rooms, action },
      this.id,
      this.#options.report,
    );
    this.publish({ kind: "presence", id, rooms, action });
  }

  /**
   * This node's clients (all, or one room's members) plus what the other nodes answer within
   * `timeout` ms. Without other nodes, or when the question cannot be published, it answers at
   * once with this node's clients only.
   */
  async fetch(room: string | undefined, timeout: number): Promise<ClusterClient[]> {
    const clients = this.#localClients(room);
    if (!this.clustered || this.#closed) return clients;
    const request = nanoid();
    this.#queries.set(request, clients);
    try {
      if (!this.publish({ kind: "fetch", request, ...(room === undefined ? {} : { room }) })) {
        return clients;
      }
      // There is no count of nodes to wait for: every answer that comes in time is taken.
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          this.#finishers.delete(finish);
          resolve();
        };
        const timer = setTimeout(finish, timeout);
        this.#finishers.add(finish);
      });
      return clients;
    } finally {
      this.#queries.delete(request);
    }
  }

  /** Ends open queries with what they have, then closes the adapter (nothing is sent after). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const finish of [...this.#finishers]) finish();
    await this.#options.adapter.close();
  }

  #receive(message: ClusterMessage): void {
    const { apply } = this.#options;
    switch (message.kind) {
      case "broadcast":
        apply({
          type: "broadcast",
          payload: message.payload,
          event: message.event,
          room: message.room,
          except: message.except ? new Set(message.except) : undefined,
          // Recorded in the shared history: every node delivers it under this id.
          ...(message.id === undefined ? {} : { stamp: message.id }),
          // This node's own recorded delivery, back in the order of ids.
          ...(message.node === this.id && message.ref !== undefined ? { ref: message.ref } : {}),
          remote: true,
        });
        return;
      case "whisper":
        apply({ type: "client.send", id: message.id, payload: message.payload, remote: true });
        return;
      case "emit":
        apply({
          type: "client.emit",
          id: message.id,
          event: message.event,
          data: message.data,
          remote: true,
        });
        return;
      case "join":
      case "leave":
        apply({ type: `room.${message.kind}`, id: message.id, room: message.room, remote: true });
        return;
      case "close":
        apply({ type: "channel.close", room: message.room, report: () => {}, remote: true });
        return;
      case "presence":
        runPresenceListeners(this.#options.listeners, message, message.node, this.#options.report);
        return;
      case "fetch":
        this.publish({
          kind: "reply",
          request: message.request,
          to: message.node,
          clients: this.#localClients(message.room),
        });
        return;
      case "reply":
        if (message.to === this.id) this.#queries.get(message.request)?.push(...message.clients);
        return;
    }
  }

  #localClients(room: string | undefined): ClusterClient[] {
    const registry = this.#options.registry();
    const ids = room === undefined ? registry.connections.keys() : (registry.rooms.get(room) ?? []);
    const clients: ClusterClient[] = [];
    for (const id of ids) {
      const record = registry.get(id);
      if (!record) continue;
      clients.push({
        id,
        node: this.id,
        address: record.transport.remoteAddress,
        transport: record.transport.kind,
        protocol: record.codec.name,
        rooms: [...record.rooms],
      });
    }
    return clients;
  }
}
