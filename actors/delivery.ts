import { BrokerError, ErrorCode } from "../src/errors.js";
import { OutboundFrame } from "../src/outbound-frame.js";
import type { ChannelHistory, HistoryEntry } from "../src/sse/history.js";
import type { Transport } from "../src/transport.js";
import type { ConnectionRegistry } from "./connection-registry.js";
import type { ActorHooks, ConnectionRecord } from "./hooks.js";
import type { ChannelSettings } from "./supervisor.js";

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

/** Writes a frame to one connection if it is still open to deliveries. */
export function sendTo(
  record: ConnectionRecord | undefined,
  frame: string | OutboundFrame | null,
): void {
  if (record?.deliverable && frame !== null) record.transport.send(frame);
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
