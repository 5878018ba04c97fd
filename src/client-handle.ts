import type { ConnectionRecord } from "../actors/hooks.js";
import { CloseCode } from "./constants.js";
import type { TransportKind } from "./transport.js";

/** What a handle asks of its broker; the broker routes each through the supervisor. */
export interface HandleCommands {
  whisper(id: string, payload: unknown): boolean;
  emit(id: string, event: string, data?: unknown): boolean;
  join(id: string, room: string): boolean;
  leave(id: string, room: string): boolean;
  disconnect(id: string, code: number, reason: string): boolean;
}

/** Free-form data an application keeps on a client (`client.data.name = "alice"`). */
export type ClientData = Record<string, unknown>;

/**
 * One connected client as listeners see it: who it is, how it came, which rooms it is in, and
 * the shortcuts to talk to it.
 *
 * @example
 * broker.on(ServerEvent.CONNECT, (client) => {
 *   client.data.name = "Guest";
 *   client.join("lobby");
 *   client.send({ type: "welcome", id: client.id });
 * });
 */
export class ClientHandle<TData extends object = ClientData> {
  // One handle per connection: it keeps its record and reads the rest from there, and makes the
  // application's bag on first use, rather than holding copies and an empty object per client.
  readonly #record: ConnectionRecord;
  readonly #commands: HandleCommands;
  #data: TData | undefined;

  /** `data` is what `authenticate` answered; without it the bag starts empty on first use. */
  constructor(record: ConnectionRecord, commands: HandleCommands, data?: TData) {
    this.#record = record;
    this.#commands = commands;
    this.#data = data;
  }

  /** A nanoid, unique for the broker's lifetime. */
  get id(): string {
    return this.#record.id;
  }

  /** The peer's IP address. */
  get address(): string {
    return this.#record.transport.remoteAddress;
  }

  /** `websocket`, `sse` or `tcp`. */
  get transport(): TransportKind {
    return this.#record.transport.kind;
  }

  /** The codec's name: `separator`, `json`, `event-source`. */
  get protocol(): string {
    return this.#record.codec.name;
  }

  /** A bag for the application; the broker never reads it. */
  get data(): TData {
    this.#data ??= {} as TData;
    return this.#data;
  }

  set data(value: TData) {
    this.#data = value;
  }

  /**
   * The rooms this client is in, live. Read it anew rather than keeping it: a client in no room
   * shows a shared empty set, replaced by its own on its first join.
   */
  get rooms(): ReadonlySet<string> {
    return this.#record.rooms;
  }

  /**
   * Bytes queued for this client that its socket has not taken yet (like ws's
   * `bufferedAmount`); past `maxBufferedBytes` the client is lagging.
   */
  get bufferedAmount(): number {
    return this.#record.transport.bufferedAmount;
  }

  /** Sends a payload to this client (`broker.whisper`). False if it is gone. */
  send(payload: unknown): boolean {
    return this.#commands.whisper(this.id, payload);
  }

  /** Sends a named event to this client (`broker.emit`). False if it is gone. */
  emit(event: string, data?: unknown): boolean {
    return this.#commands.emit(this.id, event, data);
  }

  join(room: string): boolean {
    return this.#commands.join(this.id, room);
  }

  leave(room: string): boolean {
    return this.#commands.leave(this.id, room);
  }

  /** Closes this client's connection (default 1000); `disconnect` fires when it is gone. */
  close(code: number = CloseCode.NORMAL, reason = ""): boolean {
    return this.#commands.disconnect(this.id, code, reason);
  }

  toJSON(): {
    id: string;
    address: string;
    transport: TransportKind;
    protocol: string;
    rooms: string[];
  } {
    const { id, address, transport, protocol } = this;
    return { id, address, transport, protocol, rooms: [...this.rooms] };
  }
}
