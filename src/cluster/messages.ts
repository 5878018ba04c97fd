import type { TransportKind } from "../transport.js";

// The cluster protocol: what brokers sharing an adapter say to each other. Pure: types, one
// encoder and one validating decoder, no I/O. Every message is one JSON object
// `{ v: 1, node, kind, ... }` on one channel (`${prefix}:cluster` with Redis).

/**
 * The protocol version every message carries as `v`. It changes only when a node of the previous
 * version would misread a message; fields may be added without a change (decoders ignore fields
 * they do not know), so nodes of one version can be upgraded one at a time.
 *
 * @example
 * redis.subscribe("switchboard:cluster"); // every message there has v === CLUSTER_PROTOCOL_VERSION
 */
export const CLUSTER_PROTOCOL_VERSION = 1;

/**
 * One client as a cluster-wide query reports it (`fetchClients`, `fetchRoom`).
 *
 * @example
 * const here = (await broker.fetchRoom("lobby")).filter(({ node }) => node === broker.nodeId);
 */
export interface ClusterClient {
  readonly id: string;
  /** The id of the broker (node) the client is connected to. */
  readonly node: string;
  readonly address: string;
  readonly transport: TransportKind;
  /** The codec's name: `separator`, `json`, `event-source`. */
  readonly protocol: string;
  readonly rooms: readonly string[];
}

/** A presence change: which client joined or left which rooms. */
export type PresenceAction = "join" | "leave";

/**
 * What one node asks of the others; the envelope (`v`, `node`) is added when it is published.
 *
 * @example
 * const command: ClusterCommand = { kind: "broadcast", payload: "hi", room: "lobby" };
 */
export type ClusterCommand =
  | {
      /** `broker.broadcast` or an SSE POST (`event` set): deliver to local members. */
      readonly kind: "broadcast";
      readonly payload?: unknown;
      readonly event?: string;
      readonly room?: string;
      readonly except?: readonly string[];
      /** The channel event id, when the room's history (shared by every node) recorded it. */
      readonly id?: string;
      /** The publishing node's token for a recorded delivery it will deliver on its echo. */
      readonly ref?: string;
    }
  | { readonly kind: "whisper"; readonly id: string; readonly payload?: unknown }
  | {
      readonly kind: "emit";
      readonly id: string;
      readonly event: string;
      readonly data?: unknown;
    }
  /** Room membership of a client connected to another node: its node applies it. */
  | { readonly kind: "join" | "leave"; readonly id: string; readonly room: string }
  /** `POST /events/:channel/close`: end the channel's streams. */
  | { readonly kind: "close"; readonly room: string }
  | {
      readonly kind: "presence";
      readonly id: string;
      readonly rooms: readonly string[];
      readonly action: PresenceAction;
    }
  /** A cluster-wide query: every node answers with a `reply` to the asking node. */
  | { readonly kind: "fetch"; readonly request: string; readonly room?: string }
  | {
      readonly kind: "reply";
      readonly request: string;
      /** The asking node; every other node ignores the reply. */
      readonly to: string;
      readonly clients: readonly ClusterClient[];
    };

export type ClusterKind = ClusterCommand["kind"];

/**
 * A command as it travels: stamped with the protocol version and the publishing node's id.
 *
 * @example
 * // {"v":1,"node":"V1StGXR8_Z5jdHi6B-myT","kind":"whisper","id":"Xk3v9QaB","payload":"hi"}
 * const message: ClusterMessage = { v: 1, node: broker.nodeId, kind: "whisper", id, payload: "hi" };
 */
export type ClusterMessage = ClusterCommand & {
  readonly v: typeof CLUSTER_PROTOCOL_VERSION;
  readonly node: string;
};

export type DecodedMessage =
  | { readonly ok: true; readonly message: ClusterMessage }
  | { readonly ok: false; readonly reason: string };

/**
 * The message as JSON text. Throws (like `JSON.stringify`) for a BigInt or a cycle.
 *
 * @example
 * await redis.publish("switchboard:cluster", encodeClusterMessage(message));
 */
export function encodeClusterMessage(message: ClusterMessage): string {
  return JSON.stringify(message);
}

type Fields = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === "string";
const isOptionalString = (value: unknown): boolean => value === undefined || isString(value);
const isStringArray = (value: unknown): value is readonly string[] =>
  Array.isArray(value) && value.every(isString);
const TRANSPORTS: ReadonlySet<unknown> = new Set(["websocket", "sse", "tcp"]);

function isClusterClient(value: unknown): value is ClusterClient {
  return (
    isRecord(value) &&
    isString(value.id) &&
    isString(value.node) &&
    isString(value.address) &&
    TRANSPORTS.has(value.transport) &&
    isString(value.protocol) &&
    isStringArray(value.rooms)
  );
}

/** Whether the fields a kind requires are there with the right types; extra fields are fine. */
const VALID: Readonly<Record<ClusterKind, (fields: Fields) => boolean>> = {
  broadcast: (f) =>
    isOptionalString(f.event) &&
    isOptionalString(f.room) &&
    (f.except === undefined || isStringArray(f.except)) &&
    isOptionalString(f.id) &&
    isOptionalString(f.ref),
  whisper: (f) => isString(f.id),
  emit: (f) => isString(f.id) && isString(f.event),
  join: (f) => isString(f.id) && isString(f.room),
  leave: (f) => isString(f.id) && isString(f.room),
  close: (f) => isString(f.room),
  presence: (f) =>
    isString(f.id) && isStringArray(f.rooms) && (f.action === "join" || f.action === "leave"),
  fetch: (f) => isString(f.request) && isOptionalString(f.room),
  reply: (f) =>
    isString(f.request) &&
    isString(f.to) &&
    Array.isArray(f.clients) &&
    f.clients.every(isClusterClient),
};

const isKind = (value: unknown): value is ClusterKind =>
  isString(value) && Object.hasOwn(VALID, value);

/**
 * Reads one message; anything else (not JSON, another version, an unknown kind, a missing or
 * mistyped field) is refused with the reason, never thrown.
 *
 * @example
 * const decoded = decodeClusterMessage(text);
 * if (decoded.ok) console.log(decoded.message.kind, "from", decoded.message.node);
 */
export function decodeClusterMessage(text: string): DecodedMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (!isRecord(value)) return { ok: false, reason: "not a JSON object" };
  if (value.v !== CLUSTER_PROTOCOL_VERSION) {
    return { ok: false, reason: `unsupported protocol version ${JSON.stringify(value.v)}` };
  }
  if (!isString(value.node) || value.node === "") return { ok: false, reason: "no node id" };
  if (!isKind(value.kind))
    return { ok: false, reason: `unknown kind ${JSON.stringify(value.kind)}` };
  if (!VALID[value.kind](value)) return { ok: false, reason: `malformed ${value.kind} message` };
  // The checks above are exactly the union's shape.
  return { ok: true, message: value as unknown as ClusterMessage };
}
