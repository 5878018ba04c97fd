import type { Codec } from "../protocols/codec.js";
import { BrokerError, ErrorCode } from "../src/errors.js";
import { OutboundFrame } from "../src/outbound-frame.js";
import type { ChannelHistory, HistoryEntry } from "../src/sse/history.js";
import type { Transport } from "../src/transport.js";
import type { ConnectionRegistry } from "./connection-registry.js";
import type { ActorHooks, ConnectionRecord } from "./hooks.js";
import type { BroadcastTarget, ChannelSettings, SupervisorContext } from "./supervisor.js";

// The supervisor's delivery helpers: encoding (once per codec, never throwing into the actor),
// writing, and replaying a channel's history to a reconnecting stream.

/**
 * Encodes `payload` once for one codec, as a frame every recipient shares. Returns `null`
 * (and reports) when the payload cannot be encoded, so one bad payload never throws into the
 * actor (an actor that throws stops for good).
 */
export function encodeOnce(
  encode: () => string,
  hooks: ActorHooks,
  id: string | undefined,
): OutboundFrame | null {
  const text = encodeText(encode, hooks, id);
  return text === null ? null : new OutboundFrame(text);
}

export function encodeText(
  encode: () => string,
  hooks: ActorHooks,
  id: string | undefined,
): string | null {
  try {
    return encode();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    hooks.failed(
      id,
      new BrokerError(ErrorCode.ENCODE_FAILED, `Encoding failed: ${reason}`, { cause }),
    );
    return null;
  }
}

/**
 * Takes a recipient's frame instead of writing it now (true: taken). Shared channels queue a
 * stream's frames this way while one of its channel deliveries waits for its id.
 */
export type Divert = (record: ConnectionRecord, frame: string | OutboundFrame) => boolean;

/** Writes a frame to one connection if it is still open to deliveries (or `divert` takes it). */
export function sendTo(
  record: ConnectionRecord | undefined,
  frame: string | OutboundFrame | null,
  divert?: Divert,
): void {
  if (!record?.deliverable || frame === null || divert?.(record, frame)) return;
  record.transport.send(frame);
}

/** Writes what a reconnecting stream missed, or `recovery: {recovered:false}` if it cannot. */
export function replayMissed(
  channels: ChannelSettings,
  room: string,
  lastEventId: string,
  transport: Transport,
): void {
  const recovery = channels.histories.get(room)?.recover(lastEventId, Date.now());
  if (recovery?.recovered) {
    for (const entry of recovery.missed) transport.send(entry.frame);
    return;
  }
  transport.send(channels.codec.encodeEvent("recovery", { recovered: false }));
}

/** The records of some connection ids, skipping ids no longer registered. */
export function* recordsOf(
  registry: ConnectionRegistry,
  ids: Iterable<string>,
): Iterable<ConnectionRecord> {
  for (const id of ids) {
    const record = registry.connections.get(id);
    if (record) yield record;
  }
}

/**
 * Records a channel delivery; a user ids function that throws (or returns an id `withId`
 * refuses, e.g. one with a line break) is reported and the delivery goes out without an id.
 */
export function appendSafely(
  history: ChannelHistory,
  frameFor: (id: string) => string,
  hooks: ActorHooks,
): HistoryEntry | undefined {
  try {
    return history.append(frameFor, Date.now());
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    hooks.failed(
      undefined,
      new BrokerError(ErrorCode.HANDLER_FAILED, `Event id failed: ${reason}`, { cause }),
    );
    return undefined;
  }
}

/** What a broadcast sends: a bare payload (`encode`) or a named event (`encodeEvent`). */
export interface BroadcastContent {
  readonly payload?: unknown;
  readonly event?: string | undefined;
}

/** The encoder of a broadcast's content for one codec. */
export const encoderOf =
  ({ payload, event }: BroadcastContent) =>
  (codec: Codec) =>
  (): string =>
    event === undefined ? codec.encode(payload) : codec.encodeEvent(event, payload);

/**
 * Writes a broadcast to its recipients here: everyone, or one room's members, minus `except`.
 * Encodes once per codec (`frames` may hold some already, such as a channel frame with its id),
 * never once per recipient. `divert` may take a recipient's frame instead (true: not written
 * now); `include` false leaves a recipient out before anything is encoded for it (neither written
 * nor counted). Returns how many recipients it went to.
 */
export function fanOut(
  context: Pick<SupervisorContext, "registry" | "hooks" | "writes">,
  target: BroadcastTarget,
  encodeWith: (codec: Codec) => () => string,
  frames: Map<Codec, OutboundFrame | null>,
  divert?: (record: ConnectionRecord, frame: OutboundFrame) => boolean,
  include?: (record: ConnectionRecord) => boolean,
): number {
  const { registry, hooks } = context;
  const recipients =
    target.room === undefined
      ? registry.connections.values()
      : recordsOf(registry, registry.rooms.get(target.room) ?? []);
  let delivered = 0;
  for (const record of recipients) {
    if (!record.deliverable || target.except?.has(record.id)) continue;
    if (include && !include(record)) continue;
    let frame = frames.get(record.codec);
    if (frame === undefined) {
      frame = encodeOnce(encodeWith(record.codec), hooks, undefined);
      frames.set(record.codec, frame);
    }
    if (frame === null) continue;
    delivered += 1;
    if (divert?.(record, frame)) continue;
    context.writes.hold(record.transport);
    record.transport.send(frame);
  }
  return delivered;
}

/**
 * Encodes a payload with one connection's codec and writes it (or `divert` takes it), if the
 * connection still takes deliveries. One recipient: the text goes to the transport as is, with no shared
 * `OutboundFrame` to build (the transport frames it once anyway).
 */
export function deliverText(
  record: ConnectionRecord,
  encode: (codec: Codec) => string,
  hooks: ActorHooks,
  divert?: Divert,
): void {
  if (!record.deliverable) return;
  const text = encodeText(() => encode(record.codec), hooks, record.id);
  if (text !== null && !divert?.(record, text)) record.transport.send(text);
}
