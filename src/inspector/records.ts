/** A JSON value, as the feed carries it. */
export type Json =
  | string
  | number
  | boolean
  | null
  | readonly Json[]
  | { readonly [key: string]: Json };

/** What an actor is, for the page: which panel and which diagram it belongs to. */
export type ActorKind = "connection" | "supervisor" | "timer" | "other";

interface RecordBase {
  /** Increases by one per record; the SSE event id, so a reconnecting page resumes after it. */
  readonly seq: number;
  /** `Date.now()` when the record was made. */
  readonly time: number;
}

/** A new actor (`@xstate.actor`). */
export interface ActorRecord extends RecordBase {
  readonly type: "actor";
  readonly actor: string;
  readonly kind: ActorKind;
  /** The parent actor's id, when the inspector follows it. */
  readonly parent?: string;
}

/** An actor's state value or status changed (`@xstate.snapshot`, repeats left out). */
export interface SnapshotRecord extends RecordBase {
  readonly type: "snapshot";
  readonly actor: string;
  readonly kind: ActorKind;
  /** The dotted state value (`open.alive`); `""` for actors without states (timers). */
  readonly state: string;
  /** `active`, `done`, `error` or `stopped`. */
  readonly status: string;
}

/** An event delivered to an actor (`@xstate.event`). */
export interface EventRecord extends RecordBase {
  readonly type: "event";
  /** The sender, when it is an actor the inspector follows. */
  readonly source?: string;
  readonly target: string;
  readonly event: string;
  /** The event's other fields; payloads (`frame`, `payload`, `data`, `error`) hidden unless enabled. */
  readonly fields: { readonly [key: string]: Json };
}

/** A connection became open. */
export interface ConnectRecord extends RecordBase {
  readonly type: "connect";
  readonly actor: string;
  readonly transport: string;
  readonly codec: string;
  readonly address: string;
}

/** An open connection reached `closed`. */
export interface DisconnectRecord extends RecordBase {
  readonly type: "disconnect";
  readonly actor: string;
  readonly code: number | null;
  readonly reason: string;
}

export type FeedRecord =
  | ActorRecord
  | SnapshotRecord
  | EventRecord
  | ConnectRecord
  | DisconnectRecord;

/** A record before the feed numbers and stamps it. */
export type RecordDraft = Draft<FeedRecord>;
type Draft<R> = R extends FeedRecord ? Omit<R, "seq" | "time"> : never;

/** Event fields that carry what clients sent or are sent. */
export const PAYLOAD_FIELDS: ReadonlySet<string> = new Set(["frame", "payload", "data", "error"]);
/** Event fields never shown: actor input holds transports, callbacks and application data. */
const OMITTED_FIELDS: ReadonlySet<string> = new Set(["type", "input"]);
/** What a hidden payload field reads as. */
export const HIDDEN = "[hidden]";

const MAX_DEPTH = 4;
const MAX_STRING = 1_000;
const MAX_ITEMS = 50;

/** An actor ref's id, read at runtime (inspection hands out `ActorRefLike`, which hides it). */
function actorRefId(value: object): string | undefined {
  if (!("sessionId" in value) || !("send" in value)) return undefined;
  const id = "id" in value ? value.id : value.sessionId;
  return typeof id === "string" ? id : undefined;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function truncate(text: string): string {
  return text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}…` : text;
}

/**
 * A JSON-safe, bounded copy of any value: functions dropped (undefined), actor refs by id,
 * errors by name and message, buffers by size, sets and arrays as arrays, class instances by
 * their class name, strings cut at 1 000 characters, depth and length bounded. Never throws.
 */
export function toJson(value: unknown, depth = 0): Json | undefined {
  if (typeof value === "string") return truncate(value);
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object") return undefined; // undefined, functions, symbols
  if (value === null) return null;
  const ref = actorRefId(value);
  if (ref !== undefined) return `actor:${ref}`;
  if (value instanceof Error) return { name: value.name, message: truncate(value.message) };
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (depth >= MAX_DEPTH) return "[…]";
  if (Array.isArray(value) || value instanceof Set) {
    const items: Json[] = [];
    for (const item of value) {
      if (items.length >= MAX_ITEMS) {
        items.push("…");
        break;
      }
      items.push(toJson(item, depth + 1) ?? null);
    }
    return items;
  }
  if (!isPlainObject(value)) return `[${value.constructor?.name ?? "object"}]`;
  const copy: Record<string, Json> = {};
  let count = 0;
  for (const [key, item] of Object.entries(value)) {
    if (count >= MAX_ITEMS) break;
    const json = toJson(item, depth + 1);
    if (json === undefined) continue;
    copy[key] = json;
    count += 1;
  }
  return copy;
}

/**
 * The fields of an event as the log shows them: everything but `type` and actor `input`, made
 * JSON-safe; payload fields read `[hidden]` unless `payloads` is on.
 *
 * @example
 * eventFields({ type: "socket.message", frame: "secret" }, false); // { frame: "[hidden]" }
 * eventFields({ type: "room.join", id: "a", room: "lobby" }, false); // { id: "a", room: "lobby" }
 */
export function eventFields(
  event: { readonly type: string },
  payloads: boolean,
): Record<string, Json> {
  const fields: Record<string, Json> = {};
  for (const [key, value] of Object.entries(event)) {
    if (OMITTED_FIELDS.has(key)) continue;
    if (!payloads && PAYLOAD_FIELDS.has(key)) {
      if (value !== undefined) fields[key] = HIDDEN;
      continue;
    }
    const json = toJson(value, 1);
    if (json !== undefined) fields[key] = json;
  }
  return fields;
}
