import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeResult } from "../../protocols/codec.js";
import { json } from "../../protocols/json.js";
import { anyJson, anyString, positiveZero } from "../helpers/arbitraries.js";

const codec = json();

/** Narrows a decode result to its message, failing the test with the reason otherwise. */
function message(result: DecodeResult) {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return result.message;
}

/** Asserts a `bad_frame` failure whose message starts with `prefix`. */
function expectBadFrame(result: DecodeResult, prefix: string) {
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.error.code).toBe("bad_frame");
    expect(result.error.message.startsWith(prefix)).toBe(true);
  }
}

/** The characters JSON text treats specially, mixed into every generated string. */
const SPECIAL = ['"', "\\", "{", "}"];
const anyText = anyString(SPECIAL);
const anyValue = anyJson(SPECIAL);

describe("json", () => {
  describe("decode", () => {
    it("decodes type, data and id", () => {
      expect(codec.decode('{"type":"chat","data":{"text":"hi"},"id":3}')).toEqual({
        ok: true,
        message: { event: "chat", data: { text: "hi" }, ackId: 3 },
      });
    });

    it("decodes a frame without data or id", () => {
      const decoded = message(codec.decode('{"type":"ping"}'));
      expect(decoded).toEqual({ event: "ping", data: undefined });
      expect(Object.hasOwn(decoded, "ackId")).toBe(false);
    });

    it("keeps null data as null", () => {
      expect(message(codec.decode('{"type":"x","data":null}')).data).toBeNull();
    });

    it("accepts id 0 and the largest safe integer", () => {
      expect(message(codec.decode('{"type":"x","id":0}')).ackId).toBe(0);
      const max = Number.MAX_SAFE_INTEGER;
      expect(message(codec.decode(`{"type":"x","id":${max}}`)).ackId).toBe(max);
    });

    it("reports text that is not JSON as a bad frame", () => {
      for (const frame of ["", "hello", "{", '{"type":"x",}', "#chat|hi"]) {
        expectBadFrame(codec.decode(frame), "Invalid frame: not JSON");
      }
    });

    it("reports JSON that is not an object as a bad frame", () => {
      for (const frame of ["[]", '[{"type":"x"}]', "null", "42", '"chat"', "true"]) {
        expectBadFrame(codec.decode(frame), "Invalid frame: not a JSON object");
      }
    });

    it("reports a missing, empty or non-string type as a bad frame", () => {
      for (const frame of ["{}", '{"data":1}', '{"type":""}', '{"type":1}', '{"type":null}']) {
        expectBadFrame(codec.decode(frame), "Invalid frame: `type`");
      }
    });

    it("reports an id that is not a non-negative safe integer as a bad frame", () => {
      const ids = ["-1", "1.5", '"1"', "null", "9007199254740992", "1e400", "{}"];
      for (const id of ids) {
        expectBadFrame(codec.decode(`{"type":"x","id":${id}}`), "Invalid frame: `id`");
      }
    });

    it("reads only own properties, never inherited ones", () => {
      const proto = Object.prototype as Record<string, unknown>;
      proto.type = "polluted";
      proto.id = 1;
      try {
        expectBadFrame(codec.decode("{}"), "Invalid frame: `type`");
        expect(message(codec.decode('{"type":"x"}'))).toEqual({ event: "x", data: undefined });
        expect(message(codec.decode('{"type":"x"}')).ackId).toBeUndefined();
      } finally {
        delete proto.type;
        delete proto.id;
      }
    });

    it("treats a __proto__ key as plain data", () => {
      const decoded = message(codec.decode('{"type":"x","__proto__":{"id":5},"data":1}'));
      expect(decoded).toEqual({ event: "x", data: 1 });
      expect(decoded.ackId).toBeUndefined();
    });

    it("decodes raw lone surrogates inside strings", () => {
      expect(message(codec.decode('{"type":"\ud800","data":"a\udc00"}'))).toEqual({
        event: "\ud800",
        data: "a\udc00",
      });
    });

    it("never throws and returns ok or a bad_frame failure", () => {
      const frames = fc.oneof(
        anyText,
        fc.json(),
        anyValue.map((v) => JSON.stringify(v)),
      );
      fc.assert(
        fc.property(frames, (frame) => {
          const result = codec.decode(frame);
          if (result.ok) expect(result.message.event).not.toBe("");
          else expect(result.error.code).toBe("bad_frame");
        }),
      );
    });
  });

  describe("encode", () => {
    it("sends an object with a string type as its JSON text unchanged", () => {
      const payload = { type: "msg", user: "ann", message: "hi" };
      expect(codec.encode(payload)).toBe('{"type":"msg","user":"ann","message":"hi"}');
    });

    it("wraps an object without a string type as a message", () => {
      expect(codec.encode({ user: "ann" })).toBe('{"type":"message","data":{"user":"ann"}}');
      expect(codec.encode({ type: 1 })).toBe('{"type":"message","data":{"type":1}}');
    });

    it("wraps strings, numbers, null and arrays as a message", () => {
      expect(codec.encode("hi")).toBe('{"type":"message","data":"hi"}');
      expect(codec.encode(1)).toBe('{"type":"message","data":1}');
      expect(codec.encode(null)).toBe('{"type":"message","data":null}');
      expect(codec.encode([{ type: "x" }])).toBe('{"type":"message","data":[{"type":"x"}]}');
    });

    it("wraps undefined as a message without data", () => {
      expect(codec.encode(undefined)).toBe('{"type":"message"}');
    });

    it("ignores an inherited type", () => {
      const payload: unknown = Object.create({ type: "inherited" });
      expect(codec.encode(payload)).toBe('{"type":"message","data":{}}');
    });

    it("throws a TypeError for unserialisable payloads", () => {
      const circular: Record<string, unknown> = { type: "x" };
      circular.self = circular;
      expect(() => codec.encode(circular)).toThrow(TypeError);
      expect(() => codec.encode(10n)).toThrow(TypeError);
    });

    it("escapes lone surrogates so frames are well-formed", () => {
      expect(codec.encode("\ud800")).toBe('{"type":"message","data":"\\ud800"}');
    });

    it("sends any JSON value as a frame that decodes back to it", () => {
      fc.assert(
        fc.property(anyValue, (payload) => {
          const decoded = message(codec.decode(codec.encode(payload)));
          expect(decoded).toEqual({ event: "message", data: positiveZero(payload) });
        }),
      );
    });

    it("sends any typed object unchanged, decoding to its type unless the type is empty", () => {
      const typed = fc.tuple(anyText, fc.dictionary(anyText, anyValue)).map(([type, rest]) => ({
        ...rest,
        type,
      }));
      fc.assert(
        fc.property(typed, (payload) => {
          const frame = codec.encode(payload);
          expect(JSON.parse(frame)).toEqual(positiveZero(payload));
          const result = codec.decode(frame);
          if (payload.type === "") expect(result.ok).toBe(false);
          else expect(message(result).event).toBe(payload.type);
        }),
      );
    });
  });

  describe("encodeEvent", () => {
    it("encodes the event as type and its data", () => {
      expect(codec.encodeEvent("chat", ["a", 1])).toBe('{"type":"chat","data":["a",1]}');
    });

    it("omits undefined data", () => {
      expect(codec.encodeEvent("ping", undefined)).toBe('{"type":"ping"}');
    });

    it("throws a TypeError for an empty event name", () => {
      expect(() => codec.encodeEvent("", 1)).toThrow(TypeError);
    });

    it("round-trips any JSON value and event name through decode", () => {
      const event = anyText.filter((e) => e !== "");
      fc.assert(
        fc.property(event, anyValue, (name, data) => {
          const decoded = message(codec.decode(codec.encodeEvent(name, data)));
          expect(decoded.event).toBe(name);
          expect(decoded.data).toEqual(positiveZero(data));
        }),
      );
    });
  });

  describe("encodeError", () => {
    it("encodes an error frame with code and message", () => {
      expect(codec.encodeError("bad_frame", "Invalid frame: not JSON")).toBe(
        '{"type":"error","data":{"code":"bad_frame","message":"Invalid frame: not JSON"}}',
      );
    });

    it("round-trips any code and message through decode", () => {
      fc.assert(
        fc.property(anyText, anyText, (code, text) => {
          expect(message(codec.decode(codec.encodeError(code, text)))).toEqual({
            event: "error",
            data: { code, message: text },
          });
        }),
      );
    });
  });

  describe("encodeAck", () => {
    it("answers a successful handler with its data", () => {
      expect(codec.encodeAck(7, { ok: true, data: { n: 1 } })).toBe(
        '{"type":"ack","id":7,"data":{"n":1}}',
      );
    });

    it("omits undefined data from a successful ack", () => {
      expect(codec.encodeAck(7, { ok: true, data: undefined })).toBe('{"type":"ack","id":7}');
    });

    it("answers a failed handler with an error message", () => {
      expect(codec.encodeAck(8, { ok: false, message: "nope" })).toBe(
        '{"type":"ack","id":8,"error":{"message":"nope"}}',
      );
    });

    it("names the code of a frame the broker refused unhandled", () => {
      expect(codec.encodeAck(9, { ok: false, code: "auth_expired", message: "expired" })).toBe(
        '{"type":"ack","id":9,"error":{"code":"auth_expired","message":"expired"}}',
      );
    });

    it("answers any id and outcome with a frame that decodes to an ack carrying that id", () => {
      const outcome = fc.oneof(
        anyValue.map((data) => ({ ok: true as const, data })),
        anyText.map((text) => ({ ok: false as const, message: text })),
      );
      fc.assert(
        fc.property(fc.maxSafeNat(), outcome, (id, result) => {
          const frame = codec.encodeAck(id, result);
          expect(frame).toBeDefined();
          const decoded = message(codec.decode(frame ?? ""));
          expect(decoded.event).toBe("ack");
          expect(decoded.ackId).toBe(id);
          expect(JSON.parse(frame ?? "")).toEqual(
            result.ok
              ? {
                  type: "ack",
                  id,
                  ...(result.data === undefined ? {} : { data: positiveZero(result.data) }),
                }
              : { type: "ack", id, error: { message: result.message } },
          );
        }),
      );
    });
  });

  it("names the codec", () => {
    expect(codec.name).toBe("json");
  });
});
