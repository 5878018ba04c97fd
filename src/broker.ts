import type { IncomingMessage, ServerResponse } from "node:http";
import { type Actor, createActor, waitFor } from "xstate";
import { type ConnectionSettings, connectionMachine } from "../actors/connection.js";
import { deliverText } from "../actors/delivery.js";
import { isProcessing } from "../actors/processing.js";
import {
  type ChannelSettings,
  type SupervisorEvent,
  supervisorMachine,
} from "../actors/supervisor.js";
import { ActorSystemPool } from "../actors/system-pool.js";
import type { Codec } from "../protocols/codec.js";
import { withId } from "../protocols/event-source.js";
import { AdmissionGate, NO_DATA } from "./admission.js";
import { AuthSessions } from "./auth-session.js";
import { ClientDirectory } from "./client-directory.js";
import type { ClientData, ClientHandle, HandleCommands } from "./client-handle.js";
import type { AdapterStats } from "./cluster/adapter.js";
import type { ClusterClient } from "./cluster/messages.js";
import { ClusterNode } from "./cluster/node.js";
import { connectionId } from "./connection-id.js";
import { CloseCode, Defaults } from "./constants.js";
import { ListenerDispatcher } from "./dispatcher.js";
import { createEndpoints, type StreamAdmission } from "./endpoints.js";
import { BrokerError, ErrorCode, roomLimitError } from "./errors.js";
import type { HttpFront } from "./http-front.js";
import { type BrokerSnapshot, snapshotOf } from "./inspect.js";
import { createInspector, type Inspector } from "./inspector/index.js";
import { type ListenerFor, ListenerRegistry } from "./listeners.js";
import {
  type BrokerOptions,
  combineObservers,
  type ResolvedOptions,
  resolveOptions,
} from "./options.js";
import type { BrokerEvent, PumpResult } from "./pull.js";
import { PullFeed } from "./pull-feed.js";
import { ChannelHistories } from "./sse/history.js";
import type { Transport } from "./transport.js";
import type { TcpEndpoint } from "./transports/tcp-endpoint.js";
import type { WebSocketEndpoint } from "./transports/websocket-endpoint.js";

/** Where `listen()` bound the broker. */
export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  /** The WebSocket endpoint, e.g. `ws://127.0.0.1:8899/ws`. */
  readonly url: string;
  /** The TCP endpoint, when the `tcp` option is on. */
  readonly tcp?: { readonly host: string; readonly port: number };
}

/** Who a broadcast reaches: everyone (default) or one room, minus `except` client ids. */
export interface BroadcastOptions {
  readonly room?: string;
  readonly except?: string | Iterable<string>;
}

/** Cluster-wide queries: how long to collect the other nodes' answers. */
export interface FetchOptions {
  /** In ms; default 1 000. Every node that answers within it is counted in. */
  readonly timeout?: number;
}

/** What `broker.stats()` reports. */
export interface BrokerStats {
  /** Cross-node traffic: published, received, lost, and whether the adapter is connected. */
  readonly adapter: AdapterStats;
}

/** Returned by `setInterval`/`setTimeout`; pass it to the matching `clear…`. */
export type TimerId = string;

/**
 * The broker: one HTTP server with the WebSocket and SSE endpoints, a supervisor actor that
 * owns connections, rooms and timers, and the listeners the application registers. Create it
 * with `createBroker()`.
 *
 * @example
 * const broker: Broker<{ name: string }> = createBroker({ port: 0 });
 * broker.on("#name", (client, data) => {
 *   client.data.name = String((data as string[])[0]);
 * });
 */
export class Broker<TData extends object = ClientData> {
  readonly #options: ResolvedOptions;
  readonly #listeners = new ListenerRegistry();
  readonly #clients: ClientDirectory<TData>;
  readonly #supervisor: Actor<typeof supervisorMachine>;
  readonly #http: HttpFront;
  readonly #websocket: WebSocketEndpoint;
  readonly #commands: HandleCommands;
  readonly #dispatcher: ListenerDispatcher<TData>;
  readonly #pull: PullFeed<TData>;
  readonly #tcp: TcpEndpoint | undefined;
  readonly #inspector: Inspector | undefined;
  readonly #systems: ActorSystemPool;
  readonly #cluster: ClusterNode;
  /** Credentials after the handshake (TCP auth frames, expiry, renewal); with `authenticate`. */
  readonly #auth: AuthSessions | undefined;
  /** Whether anything inspects the actors: then every delivery is a supervisor event it sees. */
  readonly #inspected: boolean;
  /** What every WebSocket and TCP connection shares, and every SSE stream (see `#accept`). */
  readonly #socketSettings: ConnectionSettings;
  readonly #streamSettings: ConnectionSettings;
  #timerSequence = 0;
  #closing: Promise<void> | undefined;
  #listening: Promise<BrokerAddress> | undefined;

  constructor(options: BrokerOptions = {}) {
    this.#options = resolveOptions(options);
    this.#pull = new PullFeed<TData>(this.#options.pullQueue, () =>
      this.#dispatcher.report(
        undefined,
        new BrokerError(ErrorCode.QUEUE_OVERFLOW, "Pull queue full: dropping the oldest events"),
      ),
    );
    this.#dispatcher = new ListenerDispatcher<TData>(this.#listeners, {
      codecOf: (id) => this.#supervisor.getSnapshot().context.registry.get(id)?.codec,
      sendFrame: (id, frame) => {
        if (!this.#deliverHere(id, () => frame)) this.#tell({ type: "client.frame", id, frame });
      },
    });
    this.#commands = {
      whisper: (id, payload) => this.whisper(id, payload),
      emit: (id, event, data) => this.emit(id, event, data),
      join: (id, room) => this.join(id, room),
      leave: (id, room) => this.leave(id, room),
      disconnect: (id, code, reason) => this.#disconnect(id, code, reason),
    };
    this.#clients = new ClientDirectory<TData>({
      commands: this.#commands,
      dispatcher: this.#dispatcher,
      pull: this.#pull,
      lagPolicy: this.#options.slowConsumer.policy,
      auth: () => this.#auth,
    });
    const inspectorSetup = this.#options.inspector;
    this.#inspector = inspectorSetup
      ? createInspector({
          ...inspectorSetup,
          snapshot: () => this.inspect(),
          machines: { connection: connectionMachine, supervisor: supervisorMachine },
        })
      : undefined;
    const inspect = combineObservers(this.#options.inspect, this.#inspector?.observer);
    this.#inspected = inspect !== undefined;
    // A connection actor that throws is reaped by the supervisor (1011, an `error` event).
    this.#systems = new ActorSystemPool(inspect, (id, error) =>
      this.#supervisor.send({ type: "connection.failed", id, error }),
    );
    this.#cluster = new ClusterNode({
      adapter: this.#options.adapter,
      listeners: this.#listeners,
      apply: (event) => {
        // Messages still arriving while the adapter closes find the supervisor stopped.
        this.#tell(event);
      },
      registry: () => this.#supervisor.getSnapshot().context.registry,
      report: (error) => this.#dispatcher.report(undefined, error),
    });
    this.#supervisor = createActor(supervisorMachine, {
      input: {
        hooks: this.#clients,
        channels: this.#channelSettings(),
        cluster: this.#cluster,
        maxRoomsPerClient: this.#options.maxRoomsPerClient,
      },
      ...(inspect ? { inspect } : {}),
    });
    this.#supervisor.start();
    const shared = {
      supervisor: this.#supervisor,
      closeTimeout: this.#options.closeTimeout,
      hooks: this.#clients,
      rateLimit: this.#options.rateLimit,
      slowConsumer: this.#options.slowConsumer,
      auth: this.#options.authenticate ? { grace: this.#options.authGrace } : undefined,
    };
    const { heartbeatInterval, heartbeatTimeout } = this.#options;
    this.#socketSettings = {
      ...shared,
      heartbeat: { interval: heartbeatInterval, timeout: heartbeatTimeout },
    };
    // A stream's heartbeat is its keepalive comment (see SseTransport.ping).
    this.#streamSettings = {
      ...shared,
      heartbeat: { interval: this.#options.sse?.keepalive ?? 0, timeout: heartbeatTimeout },
    };

    const authenticate = this.#options.authenticate;
    this.#auth = authenticate
      ? new AuthSessions({
          authenticate,
          authTimeout: this.#options.authTimeout,
          tell: (id, verdict) =>
            this.#supervisor.getSnapshot().context.registry.get(id)?.ref.send(verdict),
          dataOf: (id) => this.#clients.handles.get(id)?.data,
          report: (error) => this.#dispatcher.report(undefined, error),
        })
      : undefined;
    const endpoints = createEndpoints({
      options: this.#options,
      gate: new AdmissionGate({
        allowedOrigins: this.#options.allowedOrigins,
        maxConnections: this.#options.maxConnections,
        authenticate: this.#options.authenticate,
        authorize: this.#options.authorize,
        callbackTimeout: this.#options.authTimeout,
        // TCP sockets still owing their auth frame hold a slot too (see AuthSessions).
        connections: () => this.#clients.handles.size + (this.#auth?.awaitingFirstFrame ?? 0),
        report: (error) => this.#dispatcher.report(undefined, error),
      }),
      auth: this.#auth,
      supervisor: this.#supervisor,
      clustered: this.#cluster.clustered,
      inspectorRoute: this.#inspector?.route,
      accept: (transport, codec, stream, data) => this.#accept(transport, codec, stream, data),
      report: (error) => this.#dispatcher.report(undefined, error),
    });
    this.#http = endpoints.http;
    this.#websocket = endpoints.websocket;
    this.#tcp = endpoints.tcp;
  }

  /** Adds a listener: lifecycle events (`connect`, `message`, `disconnect`, `error`) or custom. */
  on<TEvent extends string>(event: TEvent, listener: ListenerFor<TEvent, TData>): this {
    this.#listeners.add(event, listener);
    return this;
  }

  /** Removes one listener, or every listener of the event when none is given. */
  off<TEvent extends string>(event: TEvent, listener?: ListenerFor<TEvent, TData>): this {
    this.#listeners.remove(event, listener);
    return this;
  }

  /**
   * Adds a controller, as in the CherryPy/ws4py seed: an incoming event with no listener of its
   * own goes to the controller method named like it (`chat(client, data)` for `chat` or
   * `#chat`), with `this` the controller; its result answers a JSON `id`. Events no method
   * matches fall through to the `message` listeners. Object.prototype names never match.
   *
   * @example
   * broker.use({
   *   chat(client: ClientHandle, data: unknown) { broker.broadcast({ type: "chat", data }); },
   *   ping() { return "pong"; },
   * });
   */
  use(controller: object): this {
    this.#dispatcher.use(controller);
    return this;
  }

  /**
   * Everything that happened since the previous call, for fixed-rate game loops (the
   * event-socket seed's `system.pump()`). The first call starts recording and returns nothing.
   * The queue keeps `pullQueue` events (default 10 000); past that the oldest are dropped,
   * counted in `dropped`, and the first drop fires an `error` (`SB_ERR_QUEUE_OVERFLOW`).
   *
   * @example
   * setInterval(() => {
   *   const { connected, events, disconnected } = broker.pump();
   *   for (const { client, event, data } of events) world.apply(client.id, event, data);
   * }, 50);
   */
  pump(): PumpResult<TData> {
    return this.#pull.pump();
  }

  /**
   * The pull API as an async iterator: connects, messages and disconnects from this call on.
   * It ends when the broker closes (or the loop breaks); its queue is bounded like `pump()`'s.
   *
   * @example
   * for await (const event of broker.events()) {
   *   if (event.type === "message") console.log(event.client.id, event.event, event.data);
   * }
   */
  events(): AsyncIterableIterator<BrokerEvent<TData>> {
    return this.#pull.events();
  }

  /**
   * Sends a payload to one client, encoded by its codec. False if no such client; with a
   * clustered adapter, an id not on this node is published for the other nodes, and the result
   * says whether that publication got out (not whether some node holds the id).
   */
  whisper(id: string, payload: unknown): boolean {
    if (this.#deliverHere(id, (codec) => codec.encode(payload))) return true;
    return this.#toClient(id, { type: "client.send", id, payload });
  }

  /** Sends a named event to one client (`#event|a|b`, `{"type":event,"data":…}`); as `whisper`. */
  emit(id: string, event: string, data?: unknown): boolean {
    if (this.#deliverHere(id, (codec) => codec.encodeEvent(event, data))) return true;
    return this.#toClient(id, { type: "client.emit", id, event, data });
  }

  /** Sends a payload to every client, or one room, minus `except`; encoded once per codec. */
  broadcast(payload: unknown, options: BroadcastOptions = {}): void {
    const { room, except } = options;
    const excluded =
      except === undefined ? undefined : new Set(typeof except === "string" ? [except] : except);
    this.#tell({ type: "broadcast", payload, room, except: excluded });
  }

  /**
   * Puts a client in a room (created on first join). False if no such client (as `whisper`), or
   * if the client is already in `maxRoomsPerClient` rooms (then an `error` event, `SB_ERR_LIMIT`).
   * Server code is trusted: `authorize` is not asked.
   */
  join(id: string, room: string): boolean {
    const client = this.#clients.handles.get(id);
    // The supervisor enforces the limit too (for joins it has queued); this check gives the
    // caller its answer whenever the handle's rooms are current.
    if (client && !client.rooms.has(room) && client.rooms.size >= this.#options.maxRoomsPerClient) {
      this.#dispatcher.report(client, roomLimitError(id, room, this.#options.maxRoomsPerClient));
      return false;
    }
    return this.#toClient(id, { type: "room.join", id, room });
  }

  /** Takes a client out of a room (removed when empty). False if no such client; as `whisper`. */
  leave(id: string, room: string): boolean {
    return this.#toClient(id, { type: "room.leave", id, room });
  }

  /** This broker's id in its cluster: `presence` events and `fetchClients()` name nodes by it. */
  get nodeId(): string {
    return this.#cluster.id;
  }

  /**
   * Every client of every node: this node's at once, the others' as they answer within
   * `timeout` ms (default 1 000). Without a clustered adapter, this node's only, at once.
   *
   * @example
   * const clients = await broker.fetchClients({ timeout: 500 });
   * console.log(clients.map(({ id, node, rooms }) => `${id}@${node} in ${rooms.join(",")}`));
   */
  fetchClients(options: FetchOptions = {}): Promise<ClusterClient[]> {
    return this.#cluster.fetch(undefined, options.timeout ?? Defaults.fetchTimeout);
  }

  /** The members of a room on every node, collected like `fetchClients()`. */
  fetchRoom(room: string, options: FetchOptions = {}): Promise<ClusterClient[]> {
    return this.#cluster.fetch(room, options.timeout ?? Defaults.fetchTimeout);
  }

  /** Counters: `{ adapter: { published, received, lost, connected } }`. */
  stats(): BrokerStats {
    return { adapter: this.#cluster.stats() };
  }

  /** Calls `callback` every `ms` until cleared or the broker closes. A throw is an `error` event. */
  setInterval(callback: () => unknown, ms: number): TimerId {
    return this.#startTimer("interval", callback, ms);
  }

  clearInterval(timer: TimerId): void {
    this.#tell({ type: "timer.clear", timerId: timer });
  }

  /** Calls `callback` once after `ms` unless cleared or the broker closes first. */
  setTimeout(callback: () => unknown, ms: number): TimerId {
    return this.#startTimer("timeout", callback, ms);
  }

  clearTimeout(timer: TimerId): void {
    this.#tell({ type: "timer.clear", timerId: timer });
  }

  /** Every connected client by id, live. */
  get clients(): ReadonlyMap<string, ClientHandle<TData>> {
    return this.#clients.handles;
  }

  /** Every non-empty room with its member ids, live. */
  get rooms(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.#supervisor.getSnapshot().context.registry.rooms;
  }

  /** A JSON-serialisable snapshot of the supervisor, its timers and every connection actor. */
  inspect(): BrokerSnapshot {
    return snapshotOf(this.#supervisor, supervisorMachine, connectionMachine);
  }

  /**
   * Answers the broker's plain HTTP requests (SSE streams and posts) on a server the application
   * owns (`server:` option); returns false for anything else. With its own server the broker
   * does this by itself.
   *
   * @example
   * const server = http.createServer((req, res) => {
   *   if (!broker.handleRequest(req, res)) app(req, res);
   * });
   * const broker = createBroker({ server });
   */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    return this.#http.handleRequest(request, response);
  }

  /** Starts listening (or waits for the attached server to); port 0 picks a free port. */
  listen(): Promise<BrokerAddress> {
    if (this.#closing) {
      return Promise.reject(
        new BrokerError(ErrorCode.INVALID_STATE, "Cannot listen: the broker is closed"),
      );
    }
    // Listening again answers the same address.
    this.#listening ??= this.#bind();
    return this.#listening;
  }

  async #bind(): Promise<BrokerAddress> {
    // Reach the other nodes before taking clients: a broker that cannot is refused here.
    await this.#cluster.start();
    if (this.#closing) {
      throw new BrokerError(ErrorCode.INVALID_STATE, "Cannot listen: the broker is closed");
    }
    const { port, address } = await this.#http.listen(this.#options.port, this.#options.host);
    const tcp = await this.#tcp?.listen();
    const host = address.includes(":") ? `[${address}]` : address;
    const url = `ws://${host}:${port}${this.#options.path}`;
    return tcp
      ? { host: address, port, url, tcp: { host: tcp.address, port: tcp.port } }
      : { host: address, port, url };
  }

  /**
   * Shuts down: no new clients, timers stopped, frames already queued delivered, then every
   * client closed with 1001 (`disconnect` fires for each). Resolves when the port is free.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const httpClosed = this.#http.close();
    // An upgrade still inside `authenticate` would join a broker that is going away.
    this.#websocket.abortPending();
    const tcpClosed = this.#tcp?.close();
    this.#supervisor.send({
      type: "shutdown",
      code: CloseCode.GOING_AWAY,
      reason: "server shutting down",
    });
    await waitFor(this.#supervisor, (snapshot) => snapshot.status === "done");
    this.#http.release(this.#options.closeTimeout);
    this.#pull.close();
    this.#supervisor.getSnapshot().context.channels?.histories.stop();
    this.#inspector?.close();
    // After the last client left (their presence published): nothing is published after this.
    await Promise.all([httpClosed, tcpClosed, this.#cluster.close()]);
  }

  /**
   * Creates the connection actor for a transport that is up and hands it to the supervisor,
   * which registers and starts it. The actor lives in a pooled xstate system shared with at
   * most 127 others (see `ActorSystemPool` for why neither one system nor one each).
   */
  #accept(transport: Transport, codec: Codec, stream?: StreamAdmission, data?: object): void {
    const supervisor = this.#supervisor;
    if (supervisor.getSnapshot().status !== "active") {
      transport.close(CloseCode.GOING_AWAY, "server shutting down");
      return;
    }
    const id = connectionId();
    if (data && data !== NO_DATA) this.#clients.expect(id, data);
    const ref = createActor(connectionMachine, {
      id,
      parent: this.#systems.nextParent(),
      input: {
        id,
        transport,
        codec,
        settings: stream ? this.#streamSettings : this.#socketSettings,
      },
    });
    transport.limitBuffer(this.#options.maxBufferedBytes);
    supervisor.send({ type: "connection.accept", id, ref, transport, codec, ...stream });
  }

  /** Histories and stamping for channels, unless SSE or its ids are off. */
  #channelSettings(): ChannelSettings | undefined {
    const sse = this.#options.sse;
    if (!sse || sse.ids === "none") return undefined;
    const histories = new ChannelHistories(
      sse.history,
      sse.ids === "counter" ? undefined : sse.ids,
    );
    return { histories, codec: sse.codec, withId };
  }

  #startTimer(kind: "interval" | "timeout", callback: () => unknown, ms: number): TimerId {
    this.#timerSequence += 1;
    const timerId = `${kind}-${this.#timerSequence}`;
    this.#tell({ type: "timer.set", timerId, kind, ms, callback });
    return timerId;
  }

  /** Hands an event to the supervisor; after `close()` it has stopped and calls do nothing. */
  #tell(event: SupervisorEvent): void {
    if (this.#supervisor.getSnapshot().status === "active") this.#supervisor.send(event);
  }

  /**
   * Sends a command about one client to the supervisor: it applies it to a local client, or
   * publishes it when the id may live on another node. True when the client is here, or when
   * the command can go out to the other nodes.
   */

  #toClient(id: string, event: SupervisorEvent): boolean {
    const local = this.#clients.handles.has(id);
    if (!local && !this.#cluster.clustered) return false;
    this.#tell(event);
    return local || this.#cluster.reachable;
  }

  /**
   * Delivers a frame to a client of this node at once, without a supervisor event, when nothing
   * sent before can be overtaken: the supervisor is idle, so every command sent to it so far has
   * been applied (a connect or disconnect listener runs while it is busy). The supervisor's
   * registry says whether the client is here and still takes deliveries. False when the client
   * is not here, the supervisor is busy, or an inspector is watching (it shows deliveries as the
   * supervisor's events): the command then goes through the supervisor's mailbox as before.
   * An SSE stream waiting for a shared channel delivery gets the frame queued behind it.
   */
  #deliverHere(id: string, encode: (codec: Codec) => string): boolean {
    const supervisor = this.#supervisor;
    if (this.#inspected || isProcessing(supervisor)) return false;
    const { registry, shared } = supervisor.getSnapshot().context;
    const record = registry.get(id);
    if (!record) return false;
    deliverText(record, encode, this.#clients, shared?.holding ? shared.queue : undefined);
    return true;
  }

  #disconnect(id: string, code: number, reason: string): boolean {
    if (!this.#clients.handles.has(id)) return false;
    this.#tell({ type: "client.close", id, code, reason });
    return true;
  }
}

/**
 * Creates a broker. Call `listen()` to start it.
 *
 * @example
 * import { createBroker, ServerEvent, separator } from "switchboard";
 *
 * const broker = createBroker({ port: 8899, path: "/ws", protocol: separator("|") });
 * broker.on(ServerEvent.CONNECT, (client) => client.join("lobby"));
 * broker.on("#chat", (client, data) => broker.broadcast(data, { room: "lobby" }));
 * const { url } = await broker.listen();
 */
export function createBroker<TData extends object = ClientData>(
  options: BrokerOptions = {},
): Broker<TData> {
  return new Broker<TData>(options);
}
