import type { AckOutcome, Codec, InboundMessage } from "../protocols/codec.js";
import type { ClientData, ClientHandle } from "./client-handle.js";
import { BrokerError, ErrorCode, handlerFailure, wireCode } from "./errors.js";
import {
  type DisconnectInfo,
  type EventListener,
  type LifecycleListeners,
  type ListenerRegistry,
  ServerEvent,
  type SlowInfo,
} from "./listeners.js";

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string; readonly code?: string };

/** What the dispatcher needs to answer acks: a client's codec and a way to send it a frame. */
export interface AckChannel {
  codecOf(id: string): Codec | undefined;
  sendFrame(id: string, frame: string): void;
}

/**
 * Runs the application's listeners. Every call is guarded: a listener that throws or rejects
 * becomes an `error` event (`SB_ERR_HANDLER_FAILED`), never a crash and never a disconnect.
 */
export class ListenerDispatcher<TData extends object = ClientData> {
  readonly #listeners: ListenerRegistry;
  readonly #acks: AckChannel;
  readonly #controllers: object[] = [];

  /** Adds a controller: its methods handle events named like them (see `Broker.use`). */
  use(controller: object): void {
    this.#controllers.push(controller);
  }

  /** The controller method for an event (`chat` for `chat` and `#chat`), bound to its owner. */
  #controllerMethod(event: string): EventListener<TData> | undefined {
    const name = event.startsWith("#") ? event.slice(1) : event;
    // Never an Object.prototype member (`toString`, `constructor`…), whatever the name.
    if (name === "" || name in Object.prototype) return undefined;
    for (const controller of this.#controllers) {
      const method: unknown = Reflect.get(controller, name);
      if (typeof method === "function") {
        return (client, data) => Reflect.apply(method, controller, [client, data]);
      }
    }
    return undefined;
  }

  constructor(listeners: ListenerRegistry, acks: AckChannel) {
    this.#listeners = listeners;
    this.#acks = acks;
  }

  connected(client: ClientHandle<TData>): void {
    const listeners = this.#listeners.get<LifecycleListeners<TData>["connect"]>(
      ServerEvent.CONNECT,
    );
    for (const listener of listeners)
      this.#invoke(client, ServerEvent.CONNECT, () => listener(client));
  }

  disconnected(client: ClientHandle<TData>, info: DisconnectInfo): void {
    const listeners = this.#listeners.get<LifecycleListeners<TData>["disconnect"]>(
      ServerEvent.DISCONNECT,
    );
    for (const listener of listeners) {
      this.#invoke(client, ServerEvent.DISCONNECT, () => listener(client, info));
    }
  }

  slow(client: ClientHandle<TData>, info: SlowInfo): void {
    const listeners = this.#listeners.get<LifecycleListeners<TData>["slow"]>(ServerEvent.SLOW);
    for (const listener of listeners) {
      this.#invoke(client, ServerEvent.SLOW, () => listener(client, info));
    }
  }

  /**
   * Runs the listeners of a decoded frame: its own listeners, else a controller method named
   * like it, else the `message` listeners, else nothing. A frame with an `ackId` is answered
   * with the first listener's result (or its failure).
   */
  received(client: ClientHandle<TData>, message: InboundMessage): void {
    let listeners = this.#listeners.get<EventListener<TData>>(message.event);
    if (listeners.length === 0) {
      const method = this.#controllerMethod(message.event);
      listeners = method
        ? [method]
        : this.#listeners.get<EventListener<TData>>(ServerEvent.MESSAGE);
    }
    let answer: Outcome | Promise<Outcome> | undefined;
    for (const listener of listeners) {
      // Every listener gets the event name as a third argument; custom ones may ignore it.
      const call = listener as LifecycleListeners<TData>["message"];
      const outcome = this.#invoke(client, message.event, () =>
        call(client, message.data, message.event),
      );
      answer ??= outcome;
    }
    // A request nobody listens to is answered at once rather than left to the client's timeout.
    if (message.ackId !== undefined && listeners.length === 0) {
      answer = {
        ok: false,
        code: wireCode(ErrorCode.NO_LISTENER),
        message: `No listener for "${message.event}"`,
      };
    }
    if (message.ackId !== undefined && answer) {
      this.#acknowledge(client, message.ackId, Promise.resolve(answer));
    }
  }

  /** Delivers an error to the `error` listeners; with none, prints it rather than throwing. */
  report(client: ClientHandle<TData> | undefined, error: BrokerError): void {
    const listeners = this.#listeners.get<LifecycleListeners<TData>["error"]>(ServerEvent.ERROR);
    if (listeners.length === 0) {
      console.error(`[switchboard] ${error.code}: ${error.message}`);
      return;
    }
    const printFailure = (cause: unknown) =>
      console.error("[switchboard] error listener failed:", cause);
    for (const listener of listeners) {
      try {
        const result = listener(client, error);
        if (result instanceof Promise) result.catch(printFailure);
      } catch (cause) {
        printFailure(cause);
      }
    }
  }

  /**
   * Calls one listener; a throw or a rejection becomes an `error` event, never a crash. Its
   * outcome is a promise only when the listener returned one: a frame without an ack id (most
   * of them) costs no promise and no failure closure.
   */
  #invoke(
    client: ClientHandle<TData>,
    where: string,
    call: () => unknown,
  ): Outcome | Promise<Outcome> {
    try {
      const value = call();
      if (value instanceof Promise) {
        return value.then(
          (resolved): Outcome => ({ ok: true, value: resolved }),
          (error: unknown) => this.#failed(client, where, error),
        );
      }
      return { ok: true, value };
    } catch (error) {
      return this.#failed(client, where, error);
    }
  }

  #failed(client: ClientHandle<TData>, where: string, error: unknown): Outcome {
    this.report(client, handlerFailure(where, error));
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }

  #acknowledge(client: ClientHandle<TData>, ackId: number, answer: Promise<Outcome>): void {
    void answer.then((outcome) => {
      const codec = this.#acks.codecOf(client.id);
      if (!codec) return;
      const ack: AckOutcome = outcome.ok
        ? { ok: true, data: outcome.value }
        : outcome.code === undefined
          ? { ok: false, message: outcome.message }
          : { ok: false, message: outcome.message, code: outcome.code };
      let frame: string | undefined;
      try {
        frame = codec.encodeAck(ackId, ack);
      } catch (cause) {
        const message = "Encoding failed: the ack's data";
        this.report(client, new BrokerError(ErrorCode.ENCODE_FAILED, message, { cause }));
        frame = codec.encodeAck(ackId, { ok: false, message: "unencodable result" });
      }
      if (frame !== undefined) this.#acks.sendFrame(client.id, frame);
    });
  }
}
