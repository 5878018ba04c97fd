import type { Codec, InboundMessage } from "../protocols/codec.js";
import type { BrokerError } from "../src/errors.js";
import type { Transport } from "../src/transport.js";
import type { ConnectionActorRef } from "./connection.js";

/** How a connection ended, as the `disconnect` listener sees it. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** One live connection as the supervisor's registry holds it. Mutated in place, never copied. */
export interface ConnectionRecord {
  readonly id: string;
  readonly transport: Transport;
  readonly codec: Codec;
  /**
   * The rooms this connection is in; the registry keeps it in step with its room index. Until
   * its first join a connection shares the registry's `NO_ROOMS` (an empty Set costs about 200
   * bytes, and most clients of a broadcast server never join a room).
   */
  rooms: ReadonlySet<string>;
  /** The connection's actor. */
  readonly ref: ConnectionActorRef;
  /** False once the connection starts closing: broadcasts skip it from then on. */
  deliverable: boolean;
}

/**
 * The callbacks through which actors reach the broker's user-facing side (listeners, handles).
 * Actors call them; they never throw back into the actor (the broker catches handler failures).
 */
export interface ActorHooks {
  /** A connection was registered (before its `connect` listeners run). */
  admitted(record: ConnectionRecord): void;
  /** A connection entered `open`: run the `connect` listeners. */
  connected(id: string): void;
  /** A connection decoded a frame: dispatch it to listeners. */
  received(id: string, message: InboundMessage): void;
  /** A connection was unregistered: run the `disconnect` listeners. */
  disconnected(record: ConnectionRecord, info: CloseInfo): void;
  /** A connection's unsent bytes passed `maxBufferedBytes`: run the `slow` listeners. */
  lagging(id: string, bufferedAmount: number): void;
  /** A connection got an auth frame: check its token (`authenticate`) and answer the actor. */
  reauthenticate(id: string, message: InboundMessage): void;
  /** Something failed: report it as an `error` event. */
  failed(id: string | undefined, error: BrokerError): void;
}
