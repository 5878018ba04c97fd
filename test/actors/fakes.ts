/**
 * Test doubles for the actor tests: a fake `Transport` that records what the actors do to it and
 * lets a test push `TransportEvent`s, a recording `ActorHooks`, a codec wrapper that counts
 * encodings, an `ActorSystemPool` that remembers its shard roots, and a connection actor built
 * for a supervisor the way the broker builds it. No sockets, no timers of their own.
 */

import { type Actor, type ActorRef, type AnyActorRef, createActor, type Snapshot } from "xstate";
import {
  type ConnectionNotice,
  connectionMachine,
  type HeartbeatSettings,
  type SlowConsumerPolicy,
} from "../../actors/connection.js";
import type { ActorHooks, CloseInfo, ConnectionRecord } from "../../actors/hooks.js";
import { ActorSystemPool } from "../../actors/system-pool.js";
import type { Codec, InboundMessage } from "../../protocols/codec.js";
import type { BrokerError } from "../../src/errors.js";
import type { OutboundFrame } from "../../src/outbound-frame.js";
import type { Transport, TransportEvent, TransportSink } from "../../src/transport.js";

export interface FakeTransport extends Transport {
  /** Every frame as handed to `send`, unconverted (a broadcast hands over a shared `OutboundFrame`). */
  readonly frames: (string | OutboundFrame)[];
  /** Every `close(code, reason)` call, in order. */
  readonly closes: CloseInfo[];
  /** Counters for `terminate()` and `ping()`. */
  readonly calls: { terminate: number; ping: number; bind: number };
  /** The frames sent so far, as text. */
  sent(): string[];
  /** Pushes one event through the sink given to `bind`, as the real socket would. */
  push(event: TransportEvent): void;
}

export function fakeTransport(): FakeTransport {
  let sink: TransportSink | undefined;
  const frames: (string | OutboundFrame)[] = [];
  const closes: CloseInfo[] = [];
  const calls = { terminate: 0, ping: 0, bind: 0 };
  return {
    kind: "websocket",
    remoteAddress: "127.0.0.1",
    bufferedAmount: 0,
    frames,
    closes,
    calls,
    send(frame) {
      frames.push(frame);
    },
    limitBuffer() {},
    close(code, reason) {
      closes.push({ code, reason });
    },
    terminate() {
      calls.terminate++;
    },
    ping() {
      calls.ping++;
    },
    bind(next) {
      calls.bind++;
      sink = next;
    },
    sent() {
      return frames.map((frame) => (typeof frame === "string" ? frame : frame.text));
    },
    push(event) {
      if (!sink) throw new Error("fake transport: push before bind");
      sink(event);
    },
  };
}

export interface HookCalls {
  readonly admitted: ConnectionRecord[];
  readonly connected: string[];
  readonly received: { readonly id: string; readonly message: InboundMessage }[];
  readonly disconnected: { readonly record: ConnectionRecord; readonly info: CloseInfo }[];
  readonly failed: { readonly id: string | undefined; readonly error: BrokerError }[];
  readonly lagging: { readonly id: string; readonly bufferedAmount: number }[];
}

export interface RecordingHooks extends ActorHooks {
  readonly calls: HookCalls;
}

export function recordingHooks(): RecordingHooks {
  const calls: HookCalls = {
    admitted: [],
    connected: [],
    received: [],
    disconnected: [],
    failed: [],
    lagging: [],
  };
  return {
    calls,
    admitted: (record) => calls.admitted.push(record),
    connected: (id) => calls.connected.push(id),
    received: (id, message) => calls.received.push({ id, message }),
    disconnected: (record, info) => calls.disconnected.push({ record, info }),
    failed: (id, error) => calls.failed.push({ id, error }),
    lagging: (id, bufferedAmount) => calls.lagging.push({ id, bufferedAmount }),
    reauthenticate: () => {},
  };
}

export interface CountingCodec extends Codec {
  /** How many times `encode` ran. */
  readonly encodes: () => number;
}

/** Wraps a codec so a test can count `encode` calls (a broadcast must encode once per codec). */
export function countingCodec(base: Codec): CountingCodec {
  let encodes = 0;
  return {
    name: base.name,
    decode: (frame) => base.decode(frame),
    encode: (payload) => {
      encodes++;
      return base.encode(payload);
    },
    encodeEvent: (event, data) => base.encodeEvent(event, data),
    encodeError: (code, message) => base.encodeError(code, message),
    encodeAck: (ackId, outcome) => base.encodeAck(ackId, outcome),
    encodes: () => encodes,
  };
}

/** An `ActorSystemPool` that also keeps the root of every shard it handed out, in order. */
export class RecordingPool extends ActorSystemPool {
  readonly roots = new Set<AnyActorRef>();

  override nextParent(): AnyActorRef {
    const parent = super.nextParent();
    this.roots.add(parent);
    return parent;
  }
}

/** What the broker tells the supervisor when a connection actor throws. */
export interface ConnectionFailed {
  readonly type: "connection.failed";
  readonly id: string;
  readonly error: unknown;
}

/** Where a connection actor reports: its notices, and its failure (the supervisor, or a stand-in). */
export type ConnectionSupervisor = ActorRef<Snapshot<unknown>, ConnectionNotice | ConnectionFailed>;

export interface ConnectionActorOptions {
  readonly id: string;
  readonly transport: Transport;
  readonly codec: Codec;
  readonly hooks: ActorHooks;
  /** Off unless given. */
  readonly heartbeat?: HeartbeatSettings;
  readonly closeTimeout?: number;
  /** Default: policy `close` after 5 s. */
  readonly slowConsumer?: SlowConsumerPolicy;
}

/**
 * A pool whose actors' failures reach `supervisor` as `connection.failed`, as the broker's pool
 * does (the shard roots pass them on; no connection actor has an error observer of its own).
 */
export function reportingPool(supervisor: ConnectionSupervisor): RecordingPool {
  return new RecordingPool(undefined, (id, error) =>
    supervisor.send({ type: "connection.failed", id, error }),
  );
}

/**
 * A connection actor for `supervisor`, created (not started) the way the broker's `#accept`
 * creates it: with `systems.nextParent()` as its parent (so it shares that shard's actor system,
 * whose root reports its failure; see `reportingPool`) and the supervisor as the target of its
 * notices. Hand it over with `connection.accept`; the supervisor binds the transport and starts it.
 */
export function connectionActor(
  supervisor: ConnectionSupervisor,
  systems: ActorSystemPool,
  options: ConnectionActorOptions,
): Actor<typeof connectionMachine> {
  const { id, transport, codec, hooks } = options;
  const ref = createActor(connectionMachine, {
    id,
    parent: systems.nextParent(),
    input: {
      id,
      transport,
      codec,
      settings: {
        supervisor,
        heartbeat: options.heartbeat ?? { interval: 0, timeout: 0 },
        closeTimeout: options.closeTimeout ?? 5_000,
        hooks,
        slowConsumer: options.slowConsumer ?? { policy: "close", lagTimeout: 5_000 },
      },
    },
  });
  return ref;
}
