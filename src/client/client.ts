/**
 * The client: one logical connection to a broker that outlives its sockets. It owns the state
 * (`connecting -> open -> reconnecting -> … -> closed`), the listeners, the queue of frames sent
 * while not open, the requests waiting for their ack, and the buffers of `pump()` and the async
 * iterators. Sockets come from `opener.ts` (a WebSocket, or TCP in Node, with the token); frames
 * from `frames.ts`; delays from `backoff.ts`; credential renewal from `renewal.ts`.
 */
import { Credentials, isFinalRefusal } from "./auth.js";
import { backoffDelay } from "./backoff.js";
import { ClientError, ClientErrorCode } from "./errors.js";
import { type ClientProtocol, type FrameCodec, framesFor } from "./frames.js";
import { Inbox } from "./inbox.js";
import { type AnyListener, Listeners } from "./listeners.js";
import { socketOpener } from "./opener.js";
import {
  assertTimeout,
  ClientDefaults,
  type ConnectOptions,
  type ResolvedOptions,
  type ResolvedReconnect,
  resolveOptions,
} from "./options.js";
import { Outbox } from "./outbox.js";
import { Renewal } from "./renewal.js";
import type { ClientSocket, SocketHandlers, SocketOpener } from "./socket.js";
import type {
  ClientEvent,
  ClientState,
  DataArgs,
  EventMap,
  EventName,
  LifecycleEvents,
  LifecycleName,
  NoReplies,
  ReplyMap,
  ReplyOf,
  RequestOptions,
} from "./types.js";
import { resolveUrl } from "./url.js";

const LIFECYCLE_NAMES: ReadonlySet<string> = new Set<LifecycleName>([
  "open",
  "close",
  "reconnecting",
  "error",
  "reauthenticating",
  "reauthenticated",
]);
const SUBPROTOCOL_PREFIX = "switchboard.";
const NORMAL_CLOSURE = 1000;
const ABNORMAL_CLOSURE = 1006;
/** What a refused connection reports as its close: the broker's TCP code for a refusal. */
const POLICY_VIOLATION = 1008;

/**
 * A connection to a switchboard broker. Create it with {@link connect}.
 *
 * @example
 * const client = connect<{ chat: string; msg: { user: string; message: string } }>(
 *   "ws://127.0.0.1:8899/ws",
 * );
 * client.on("msg", ({ user, message }) => console.log(`${user}: ${message}`));
 * client.send("chat", "hello");
 */
export class Client<Events extends object = EventMap, Replies extends ReplyMap<Events> = NoReplies>
  implements AsyncIterable<ClientEvent<Events>>
{
  /** The URL connected to. */
  readonly url: string;
  /** The wire protocol spoken. */
  readonly protocol: ClientProtocol;
  readonly #options: ResolvedOptions;
  readonly #frames: FrameCodec;
  readonly #openSocket: SocketOpener;
  readonly #listeners: Listeners;
  readonly #inbox: Inbox<ClientEvent<Events>>;
  readonly #outbox: Outbox;
  readonly #credentials: Credentials;
  readonly #renewal: Renewal;
  #state: ClientState = "connecting";
  #finished = false;
  #socket: ClientSocket | undefined;
  /** Bumped per attempt: events of an older socket are ignored. */
  #generation = 0;
  /** Reconnect attempts in the current outage; 0 once open. */
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Why the current attempt failed, for `connect_failed`. */
  #attemptError: Error | undefined;
  #lastConnectError: ClientError | undefined;
  /** Why the client ended: what `ready()` rejects with once closed. */
  #endError: ClientError | undefined;
  /** A `close` event fired since the last `open`. */
  #closeEmitted = false;
  #readyWaiters: Array<{ resolve(): void; reject(error: ClientError): void }> = [];
  #socketGone: Promise<void> = Promise.resolve();
  #resolveSocketGone: (() => void) | undefined;

  constructor(url: string, options: ConnectOptions = {}) {
    const target = resolveUrl(url);
    this.#options = resolveOptions(options, target.protocol === "tcp:");
    this.url = target.href;
    this.protocol = this.#options.protocol;
    this.#frames = framesFor(this.protocol, this.#options.separator);
    this.#credentials = new Credentials(options.token, this.#options.requestTimeout);
    this.#openSocket = socketOpener({
      target,
      subprotocols: [SUBPROTOCOL_PREFIX + this.protocol],
      credentials: this.#credentials,
      frames: this.#frames,
      answerTimeout: this.#options.requestTimeout,
    });
    this.#outbox = new Outbox(this.#options.queueMax);
    this.#renewal = new Renewal(this.#credentials, this.#frames, this.#options.requestTimeout, {
      write: (text) => {
        if (this.#state === "open") this.#socket?.send(text);
      },
      release: () => {
        const socket = this.#openSocketOrNone();
        if (socket) this.#outbox.flush(socket);
      },
      announce: (name) => this.#emit(name, undefined),
      error: (error) => this.#emitError(error),
    });
    this.#listeners = new Listeners((name, error) => this.#listenerFailed(name, error));
    const { pumpMax } = this.#options;
    this.#inbox = new Inbox(pumpMax, pumpMax || ClientDefaults.pumpMax, (what, max) => {
      const message = `${what} buffer full (${max} events): dropping the oldest; read faster`;
      this.#emitError(new ClientError(ClientErrorCode.PUMP_OVERFLOW, message));
    });
    this.#connect();
  }

  /** `connecting`, `open`, `reconnecting` (waiting before the next attempt) or `closed`. */
  get state(): ClientState {
    return this.#state;
  }

  /** Frames waiting for the connection to open. */
  get queued(): number {
    return this.#outbox.queued;
  }

  /**
   * Adds a listener: a lifecycle event (`open`, `close`, `reconnecting`, `error`,
   * `reauthenticating`, `reauthenticated`) or a broker event.
   */
  on<K extends LifecycleName>(type: K, listener: (data: LifecycleEvents[K]) => void): this;
  on<K extends EventName<Events>>(type: K, listener: (data: Events[K]) => void): this;
  on(type: string, listener: (data: never) => void): this {
    this.#listeners.add(type, listener as AnyListener);
    return this;
  }

  /** The seed's name for {@link Client.on}. */
  bind<K extends LifecycleName>(type: K, listener: (data: LifecycleEvents[K]) => void): this;
  bind<K extends EventName<Events>>(type: K, listener: (data: Events[K]) => void): this;
  bind(type: string, listener: (data: never) => void): this {
    this.#listeners.add(type, listener as AnyListener);
    return this;
  }

  /** Removes one listener, or every listener of the event when none is given. */
  off<K extends LifecycleName>(type: K, listener?: (data: LifecycleEvents[K]) => void): this;
  off<K extends EventName<Events>>(type: K, listener?: (data: Events[K]) => void): this;
  off(type: string, listener?: (data: never) => void): this {
    this.#listeners.remove(type, listener as AnyListener | undefined);
    return this;
  }

  /**
   * Sends an event. While not open it is queued and sent, in order, once a connection opens.
   * Returns false when the frame was dropped (queue full: an `error` event says so).
   *
   * @throws ClientError `closed` after `close()`; `encode_failed` for data the protocol cannot encode.
   */
  send<K extends EventName<Events>>(type: K, ...[data]: DataArgs<Events[K]>): boolean {
    if (this.#finished) {
      throw new ClientError(ClientErrorCode.CLOSED, `Cannot send "${type}": the client is closed`);
    }
    const text = encode(type, () => this.#frames.encodeEvent(type, data));
    const dropped = this.#outbox.deliver({ type, text }, this.#openSocketOrNone(), this.#state);
    if (dropped) this.#emitError(dropped);
    return dropped === undefined;
  }

  /**
   * Sends an event with an id and resolves with the broker's `ack` (what its listener returned).
   * Rejects with `request_failed` (the listener threw), `timeout` (default 10 s, counted from
   * this call, queued or not), `disconnected`, `closed`, `queue_full`, or `unsupported` (the
   * separator protocol has no acks).
   */
  request<K extends EventName<Events>>(
    type: K,
    data: Events[K],
    options: RequestOptions = {},
  ): Promise<ReplyOf<Replies, K>> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.#finished) {
        const message = `Cannot request "${type}": the client is closed`;
        throw new ClientError(ClientErrorCode.CLOSED, message);
      }
      const timeout = options.timeout ?? this.#options.requestTimeout;
      assertTimeout("timeout", timeout);
      const id = this.#outbox.nextId();
      const text = encode(type, () => this.#frames.encodeRequest(type, data, id));
      if (text === undefined) {
        const message = `Cannot request "${type}": the ${this.protocol} protocol has no acks; use json`;
        throw new ClientError(ClientErrorCode.UNSUPPORTED, message);
      }
      this.#outbox.track(id, type, timeout, resolve, reject);
      // A dropped request is rejected by the outbox; the drop is reported here, as for send().
      const dropped = this.#outbox.deliver(
        { type, text, id },
        this.#openSocketOrNone(),
        this.#state,
      );
      if (dropped) this.#emitError(dropped);
    }) as Promise<ReplyOf<Replies, K>>;
  }

  /**
   * Renews the credentials now, before the broker's `withExpiry` runs out: takes a token from the
   * `token` option (calling the function) and sends the auth frame. Resolves once the broker
   * accepts it (its new expiry replaces the old); concurrent calls, and the renewal the client
   * starts by itself on `auth_expired`, share one auth frame. Frames keep flowing meanwhile.
   * Rejects with `unauthorized` (refused: the current credentials stand until they expire),
   * `token_failed`, `timeout` (no answer within `requestTimeout`), `no_token` (no `token`
   * option), `not_open` (connecting: the connection authenticates with a fresh token anyway),
   * `disconnected` or `closed`.
   *
   * @example
   * setInterval(() => client.renew().catch((error) => console.warn(error.code)), 10 * 60_000);
   */
  renew(): Promise<void> {
    if (this.#finished) return Promise.reject(closedError("Cannot renew: the client is closed"));
    if (!this.#credentials.present) {
      const message = "Cannot renew: the client has no token option to renew with";
      return Promise.reject(new ClientError(ClientErrorCode.NO_TOKEN, message));
    }
    if (this.#state !== "open") {
      const message = `Cannot renew while ${this.#state}: the connection authenticates with a fresh token when it opens`;
      return Promise.reject(new ClientError(ClientErrorCode.NOT_OPEN, message));
    }
    return this.#renewal.renew();
  }

  /**
   * The events received since the last call (oldest first), for game loops; then `[]` until more
   * arrive. Holds at most `pump.max` (10 000): past that the oldest go, with a `pump_overflow`.
   */
  pump(): ClientEvent<Events>[] {
    if (this.#options.pumpMax === 0) {
      throw new TypeError("pump() is off: this client was created with { pump: false }");
    }
    return this.#inbox.drain();
  }

  /** Yields events as they arrive; ends when the client is closed (or reconnecting gives up). */
  [Symbol.asyncIterator](): AsyncIterableIterator<ClientEvent<Events>> {
    return this.#inbox.stream();
  }

  /** Resolves once the client is open (at once if it is); rejects if it closes first. */
  ready(): Promise<void> {
    if (this.#state === "open") return Promise.resolve();
    if (this.#finished)
      return Promise.reject(this.#endError ?? closedError("The client is closed"));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /**
   * Closes for good: no reconnect, pending requests rejected (`closed`), queued frames dropped
   * (reported), iterators ended, `close` fired. Resolves once the socket is closed.
   *
   * @param code - 1000 or 3000–4999 (the codes a browser lets a client send). Default 1000.
   */
  close(code = NORMAL_CLOSURE, reason = ""): Promise<void> {
    if (code !== NORMAL_CLOSURE && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw new RangeError(`Invalid close code: ${code}; use 1000 or 3000-4999`);
    }
    // The limit of a close frame (125 bytes, 2 of them the code); WebSocket.close throws past it.
    if (new TextEncoder().encode(reason).length > 123) {
      throw new RangeError("Invalid close reason: longer than 123 bytes of UTF-8");
    }
    if (this.#finished) return this.#socketGone;
    const socket = this.#socket;
    if (socket) {
      this.#socketGone = new Promise((resolve) => {
        this.#resolveSocketGone = resolve;
      });
    } else {
      // An attempt whose socket does not exist yet is abandoned (closed as soon as it does).
      this.#generation++;
    }
    this.#finish(code, reason);
    socket?.close(code, reason);
    return this.#socketGone;
  }

  #connect(): void {
    const generation = ++this.#generation;
    this.#attemptError = undefined;
    const current = () => generation === this.#generation;
    const handlers: SocketHandlers = {
      open: () => {
        if (current()) this.#onOpen();
      },
      message: (text) => {
        if (current()) this.#onMessage(text);
      },
      error: (error) => {
        if (current()) this.#onSocketError(error);
      },
      close: (code, reason) => {
        if (current()) this.#onSocketClose(code, reason);
      },
    };
    this.#openSocket(handlers).then(
      (socket) => {
        if (current()) this.#socket = socket;
        else socket.close(NORMAL_CLOSURE, "");
      },
      (error: unknown) => {
        if (!current()) return;
        this.#attemptError = error instanceof Error ? error : new Error(String(error));
        this.#onSocketClose(ABNORMAL_CLOSURE, this.#attemptError.message);
      },
    );
  }

  #onOpen(): void {
    // A TCP auth answer may still arrive after close(): the client stays closed.
    if (this.#finished) return;
    const socket = this.#socket;
    if (!socket) return;
    const expected = SUBPROTOCOL_PREFIX + this.protocol;
    if (socket.protocol !== expected) {
      const chose = socket.protocol === "" ? "none" : socket.protocol;
      const message = `The broker did not accept the subprotocol ${expected} (it chose ${chose})`;
      this.#emitError(new ClientError(ClientErrorCode.PROTOCOL_MISMATCH, message));
      void this.close(NORMAL_CLOSURE, "subprotocol not accepted");
      return;
    }
    this.#state = "open";
    this.#renewal.reset();
    this.#attempt = 0;
    this.#closeEmitted = false;
    this.#lastConnectError = undefined;
    // Queued frames go first, in order, before anything an `open` listener sends.
    this.#outbox.flush(socket);
    this.#emit("open", undefined);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
  }

  #onMessage(text: string): void {
    if (this.#finished) return;
    const frame = this.#frames.decode(text);
    if (this.#renewal.handle(frame)) return;
    switch (frame.kind) {
      case "ack":
        this.#outbox.settle(frame.id, frame.outcome);
        return;
      case "error":
        this.#emitError(
          new ClientError(frame.code, frame.message || `Broker error: ${frame.code}`),
        );
        return;
      case "invalid":
        this.#emitError(new ClientError(ClientErrorCode.INVALID_FRAME, frame.message));
        return;
    }
    if (LIFECYCLE_NAMES.has(frame.type)) {
      const message = `Event "${frame.type}" refused: the name is one of the client's lifecycle events`;
      this.#emitError(new ClientError(ClientErrorCode.RESERVED_EVENT, message));
      return;
    }
    this.#inbox.push({ type: frame.type, data: frame.data } as ClientEvent<Events>);
    this.#listeners.emit(frame.type, frame.data);
  }

  #onSocketError(error: Error): void {
    if (this.#state !== "open") {
      // What the broker said (a refusal) outweighs the transport error that follows it.
      if (!(this.#attemptError instanceof ClientError)) this.#attemptError = error;
      return;
    }
    this.#emitError(
      error instanceof ClientError
        ? error
        : new ClientError(ClientErrorCode.SOCKET_ERROR, `Socket error: ${error.message}`, {
            cause: error,
          }),
    );
  }

  #onSocketClose(code: number, reason: string): void {
    this.#socket = undefined;
    this.#renewal.reset();
    if (this.#finished) {
      this.#resolveSocketGone?.();
      return;
    }
    const wasOpen = this.#state === "open";
    const reconnect = this.#options.reconnect;
    const retry = reconnect !== false && this.#attempt < reconnect.attempts;
    this.#state = retry ? "reconnecting" : "closed";
    this.#outbox.failSent();
    if (wasOpen) {
      this.#closeEmitted = true;
      this.#emit("close", { code, reason });
    } else {
      const cause = this.#attemptError;
      const why = cause?.message || reason || `closed with ${code}`;
      // Refusals and token failures keep their own code: an app tells them from an outage.
      const failed = cause instanceof ClientError ? cause.code : ClientErrorCode.CONNECT_FAILED;
      const error = new ClientError(failed, `Cannot connect to ${this.url}: ${why}`, { cause });
      this.#lastConnectError = error;
      this.#emitError(error);
      if (!this.#finished && isFinalRefusal(cause, this.#credentials.renewable)) {
        // The same credentials would be refused again: retrying would only hammer the broker.
        this.#finish(POLICY_VIOLATION, reason || cause?.message || "", undefined, error);
      }
    }
    if (this.#finished) return; // a listener called close()
    if (reconnect === false) this.#finish(code, reason, undefined, this.#lastConnectError);
    else if (!retry) {
      const message = `Gave up reconnecting to ${this.url} after ${this.#attempt} attempts`;
      this.#finish(code, reason, new ClientError(ClientErrorCode.RECONNECT_FAILED, message));
    } else this.#scheduleReconnect(reconnect);
  }

  #scheduleReconnect(reconnect: ResolvedReconnect): void {
    this.#attempt += 1;
    const delay = backoffDelay(this.#attempt, reconnect);
    this.#emit("reconnecting", { attempt: this.#attempt, delay });
    if (this.#finished) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#state = "connecting";
      this.#connect();
    }, delay);
  }

  /**
   * The end, once: by `close()` or a drop with reconnect off (no `failure`), or by giving up
   * (`failure`, reported). `ready()` then rejects with `failure`, else `cause`, else `closed`.
   */
  #finish(code: number, reason: string, failure?: ClientError, cause?: ClientError): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#state = "closed";
    clearTimeout(this.#retryTimer);
    this.#renewal.stop(
      failure ?? closedError("The client was closed before the broker answered the renewal"),
    );
    const dropped = this.#outbox.drop(failure ?? closedError("the client was closed"));
    const unsent = dropped > 0 ? `; ${dropped} queued frame(s) dropped` : "";
    if (failure) this.#emitError(new ClientError(failure.code, failure.message + unsent));
    else if (dropped > 0)
      this.#emitError(closedError(`Closed with ${dropped} queued frame(s) unsent`));
    this.#inbox.end();
    if (!this.#closeEmitted) {
      this.#closeEmitted = true;
      this.#emit("close", { code, reason });
    }
    this.#endError = failure ?? cause ?? closedError("The client was closed");
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(this.#endError);
  }

  /** The socket, when the connection is open: frames go straight to it (held while renewing). */
  #openSocketOrNone(): ClientSocket | undefined {
    return this.#state === "open" && !this.#renewal.holding ? this.#socket : undefined;
  }

  #emit<K extends LifecycleName>(name: K, data: LifecycleEvents[K]): void {
    this.#listeners.emit(name, data);
  }

  #emitError(error: ClientError): void {
    // Like the broker: with no `error` listener, errors are printed rather than thrown.
    if (!this.#listeners.emit("error", error)) {
      console.error(`switchboard client: ${error.message} (${error.code})`);
    }
  }

  #listenerFailed(name: string, error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    if (name === "error") {
      console.error(`switchboard client: an "error" listener threw: ${text}`);
      return;
    }
    const message = `A "${name}" listener threw: ${text}`;
    this.#emitError(new ClientError(ClientErrorCode.LISTENER_FAILED, message, { cause: error }));
  }
}

/**
 * Connects to a broker: `ws://`/`wss://` (any platform), or `tcp://host:port` (Node only). The
 * client starts connecting at once; what is sent before it opens is queued. A relative URL
 * (`/ws`) is resolved against the page's location in a browser.
 *
 * @example
 * interface Events { chat: string; msg: { user: string; message: string }; sum: number[] }
 * const client = connect<Events, { sum: number }>("ws://127.0.0.1:8899/ws");
 * client.on("open", () => client.send("chat", "hello"));
 * const total = await client.request("sum", [1, 2], { timeout: 2_000 }); // number
 */
export function connect<
  Events extends object = EventMap,
  Replies extends ReplyMap<Events> = NoReplies,
>(url: string | URL, options?: ConnectOptions): Client<Events, Replies> {
  return new Client<Events, Replies>(String(url), options);
}

function closedError(message: string): ClientError {
  return new ClientError(ClientErrorCode.CLOSED, message);
}

/** Runs an encoder; a failure (empty type, BigInt, cycle) becomes `encode_failed`. */
function encode<T>(type: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const message = `Cannot encode "${type}": ${text}`;
    throw new ClientError(ClientErrorCode.ENCODE_FAILED, message, { cause: error });
  }
}
