/**
 * The JSON codec: every frame is one JSON object `{"type": string, "data"?: any, "id"?: number}`.
 *
 * Decoding never throws: `JSON.parse` is wrapped and every shape check reports a `bad_frame`
 * failure whose message says what failed, so the connection can answer with an error frame and
 * stay open. Only own properties are read (`Object.hasOwn`), so a frame cannot smuggle `type` or
 * `id` in through a polluted `Object.prototype`.
 *
 * Lone surrogates: the codec works on JS strings and round-trips any of them, lone surrogates
 * included. `JSON.stringify` writes a lone surrogate as a `\uXXXX` escape, so encoded frames are
 * well-formed text; a raw lone surrogate in an inbound frame is accepted by `JSON.parse` as is.
 * (The UTF-8 transport replaces raw lone surrogates by U+FFFD; that is documented there.)
 */
import { badFrame, type Codec, type DecodeResult, decoded } from "./codec.js";

/**
 * Builds the JSON codec. It has no options; a function keeps the shape of the other codecs.
 *
 * @example
 * const codec = json();
 * codec.decode('{"type":"chat","data":"hi","id":1}');
 * // { ok: true, message: { event: "chat", data: "hi", ackId: 1 } }
 * codec.encodeAck(1, { ok: true, data: 42 }); // '{"type":"ack","id":1,"data":42}'
 */
export function json(): Codec {
  return {
    name: "json",
    decode,

    encode(payload) {
      // Already a typed frame (the seed's `{"type":"msg",...}` chat payloads): send it unchanged.
      if (isObject(payload) && typeof ownValue(payload, "type") === "string") {
        return JSON.stringify(payload);
      }
      // Anything else is wrapped; JSON.stringify drops `data` when it is undefined.
      return JSON.stringify({ type: "message", data: payload });
    },

    encodeEvent(event, data) {
      // `""` would encode to a frame decode rejects: refuse to write what we cannot read.
      if (event === "") throw new TypeError("Invalid event: the event name is empty");
      return JSON.stringify({ type: event, data });
    },

    encodeError(code, message) {
      return JSON.stringify({ type: "error", data: { code, message } });
    },

    encodeAck(ackId, outcome) {
      return JSON.stringify(
        outcome.ok
          ? { type: "ack", id: ackId, data: outcome.data }
          : {
              type: "ack",
              id: ackId,
              error:
                outcome.code === undefined
                  ? { message: outcome.message }
                  : { code: outcome.code, message: outcome.message },
            },
      );
    },
  };
}

function decode(frame: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return badFrame("Invalid frame: not JSON");
  }
  if (!isObject(value)) return badFrame("Invalid frame: not a JSON object");

  const type = ownValue(value, "type");
  if (typeof type !== "string" || type === "") {
    return badFrame("Invalid frame: `type` must be a non-empty string");
  }
  const data = ownValue(value, "data");
  if (!Object.hasOwn(value, "id")) return decoded({ event: type, data });

  const id = value.id;
  // Acks echo the id back, so it must survive JSON both ways exactly: a safe integer, >= 0.
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
    return badFrame("Invalid frame: `id` must be a non-negative safe integer");
  }
  return decoded({ event: type, data, ackId: id });
}

/** A non-null, non-array object: the only JSON shape that can be a frame. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads an own property only; inherited values (prototype pollution) count as absent. */
function ownValue(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
