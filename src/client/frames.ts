/**
 * Client frames for the two text protocols: pure encode/decode, no I/O. Outbound frames are
 * built by the broker's own codecs (`protocols/json.ts`, `protocols/separator.ts`), so the wire
 * format lives in one place; inbound frames are read here because the client also reads what
 * only the broker writes (acks, error frames).
 */
import type { AckOutcome } from "../../protocols/codec.js";
import { json } from "../../protocols/json.js";
import { separator } from "../../protocols/separator.js";

/** The wire protocols a client can speak (`switchboard.<name>` as the WebSocket subprotocol). */
export type ClientProtocol = "json" | "separator";

/** One frame from the broker, as the client reads it. */
export type InboundFrame =
  /** An event for the application: `{type, data}`. */
  | { readonly kind: "event"; readonly type: string; readonly data: unknown }
  /** The answer to a request. */
  | { readonly kind: "ack"; readonly id: number; readonly outcome: AckOutcome }
  /** An error frame: `{"type":"error","data":{code,message}}` or `#error|code|message`. */
  | { readonly kind: "error"; readonly code: string; readonly message: string }
  /** Something the client cannot read; `message` says why. */
  | { readonly kind: "invalid"; readonly message: string };

export interface FrameCodec {
  readonly protocol: ClientProtocol;
  /** Encodes an event; throws a TypeError for an empty type or unserialisable data. */
  encodeEvent(type: string, data: unknown): string;
  /** Encodes a request carrying an ack id; `undefined` when the protocol has no acks. */
  encodeRequest(type: string, data: unknown, id: number): string | undefined;
  /** Reads one frame from the broker. Never throws. */
  decode(text: string): InboundFrame;
}

/**
 * The JSON protocol: `{"type","data"}` out (plus `"id"` for requests); in, events by `type`,
 * `ack` frames and `error` frames. A frame without `data` whose other keys carry the payload
 * (the chat examples' `{"type":"msg","user":…,"message":…}`) is delivered whole as the data.
 *
 * @example
 * const frames = jsonFrames();
 * frames.encodeRequest("sum", [1, 2], 7); // '{"type":"sum","data":[1,2],"id":7}'
 * frames.decode('{"type":"ack","id":7,"data":3}'); // { kind: "ack", id: 7, outcome: { ok: true, data: 3 } }
 */
export function jsonFrames(): FrameCodec {
  const codec = json();
  return {
    protocol: "json",
    encodeEvent: (type, data) => codec.encodeEvent(type, data),
    encodeRequest(type, data, id) {
      if (type === "") throw new TypeError("Invalid event: the event name is empty");
      return JSON.stringify({ type, data, id });
    },
    decode: decodeJson,
  };
}

/**
 * The separator protocol: `#type|field|field`. `send("chat", ["a", "b"])` writes `#chat|a|b`
 * (the `#` is added when missing); `send("message", "text")` writes the plain text, as the
 * broker reads a frame without `#` as a `message`. In: `#event|a|b` -> type `#event`, data
 * `["a","b"]`; plain text -> type `message`, data the text; `#error|code|message` -> error.
 *
 * @example
 * const frames = separatorFrames("|");
 * frames.encodeEvent("chat", ["a|b"]); // "#chat|a\\|b"
 * frames.decode("#tick|1"); // { kind: "event", type: "#tick", data: ["1"] }
 */
export function separatorFrames(sep = "|"): FrameCodec {
  const codec = separator(sep);
  return {
    protocol: "separator",
    encodeEvent(type, data) {
      if (type !== "message" || typeof data !== "string") return codec.encodeEvent(type, data);
      if (data.startsWith("#")) {
        throw new TypeError("Invalid message: plain separator text cannot start with '#'");
      }
      return data;
    },
    encodeRequest: () => undefined,
    decode(text) {
      const result = codec.decode(text);
      if (!result.ok) return { kind: "invalid", message: result.error.message };
      const { event, data } = result.message;
      if (event !== "#error") return { kind: "event", type: event, data };
      const [code = "error", message = ""] = Array.isArray(data) ? data.map(String) : [];
      return { kind: "error", code, message };
    },
  };
}

/** Builds the frame codec of a protocol. */
export function framesFor(protocol: ClientProtocol, sep?: string): FrameCodec {
  return protocol === "json" ? jsonFrames() : separatorFrames(sep);
}

function decodeJson(text: string): InboundFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "invalid", message: "Invalid frame: not JSON" };
  }
  if (!isObject(value)) return { kind: "invalid", message: "Invalid frame: not a JSON object" };
  const type = own(value, "type");
  if (typeof type !== "string" || type === "") {
    return { kind: "invalid", message: "Invalid frame: `type` must be a non-empty string" };
  }
  if (type === "ack") return decodeAck(value);
  if (type === "error") {
    const data = own(value, "data");
    const code = isObject(data) ? own(data, "code") : undefined;
    const message = isObject(data) ? own(data, "message") : undefined;
    return {
      kind: "error",
      code: typeof code === "string" && code !== "" ? code : "error",
      message: typeof message === "string" ? message : "",
    };
  }
  if (Object.hasOwn(value, "data")) return { kind: "event", type, data: value.data };
  // No `data`: the payload is the frame itself, unless it holds nothing but its type.
  const whole = Object.keys(value).some((key) => key !== "type");
  return { kind: "event", type, data: whole ? value : undefined };
}

function decodeAck(frame: Record<string, unknown>): InboundFrame {
  const id = own(frame, "id");
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
    return { kind: "invalid", message: "Invalid ack: `id` must be a non-negative safe integer" };
  }
  if (!Object.hasOwn(frame, "error")) {
    return { kind: "ack", id, outcome: { ok: true, data: own(frame, "data") } };
  }
  const error = own(frame, "error");
  const message = isObject(error) ? own(error, "message") : undefined;
  // A code says the broker refused the request unhandled (`auth_expired`), not that a listener threw.
  const code = isObject(error) ? own(error, "code") : undefined;
  const text = typeof message === "string" ? message : "request failed";
  const outcome =
    typeof code === "string" && code !== ""
      ? { ok: false as const, message: text, code }
      : { ok: false as const, message: text };
  return { kind: "ack", id, outcome };
}

/** A non-null, non-array object: the only JSON shape that can be a frame. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads an own property only; inherited values (prototype pollution) count as absent. */
function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
