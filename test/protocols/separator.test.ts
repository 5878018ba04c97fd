import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeResult } from "../../protocols/codec.js";
import { separator } from "../../protocols/separator.js";

const codec = separator();

/** Narrows a decode result to its message, failing the test with the reason otherwise. */
function message(result: DecodeResult) {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return result.message;
}

/**
 * Any single UTF-16 code unit (so lone surrogates too: fast-check's "binary" unit never makes
 * them), weighted towards the characters the codec treats specially.
 */
const unit = fc.oneof(
  { arbitrary: fc.constantFrom("|", "\\", "#", ",", ""), weight: 2 },
  {
    arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    weight: 1,
  },
  { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), weight: 3 },
);
const text = fc.string({ unit });
const anyString = fc.oneof(fc.string(), fc.string({ unit: "binary" }), text);

describe("separator", () => {
  describe("decode", () => {
    it("decodes an event and its fields", () => {
      expect(codec.decode("#chat|hello|world")).toEqual({
        ok: true,
        message: { event: "#chat", data: ["hello", "world"] },
      });
    });

    it("decodes an event with no fields as empty data", () => {
      expect(message(codec.decode("#chat")).data).toEqual([]);
    });

    it("decodes a trailing separator as one empty field", () => {
      expect(message(codec.decode("#chat|")).data).toEqual([""]);
    });

    it("keeps empty fields between separators", () => {
      expect(message(codec.decode("#chat||a||")).data).toEqual(["", "a", "", ""]);
    });

    it("decodes a frame without '#' as a message carrying the whole text", () => {
      expect(codec.decode("hello|wor\\|ld\\\\")).toEqual({
        ok: true,
        message: { event: "message", data: "hello|wor\\|ld\\\\" },
      });
    });

    it("decodes an empty frame as an empty message", () => {
      expect(message(codec.decode(""))).toEqual({ event: "message", data: "" });
    });

    it("decodes escaped separators inside fields", () => {
      expect(message(codec.decode("#chat|a\\|b|c")).data).toEqual(["a|b", "c"]);
    });

    it("decodes escaped backslashes inside fields", () => {
      expect(message(codec.decode("#chat|a\\\\|b")).data).toEqual(["a\\", "b"]);
    });

    it("decodes escapes in the event name", () => {
      expect(message(codec.decode("#a\\|b\\\\c|x"))).toEqual({ event: "#a|b\\c", data: ["x"] });
    });

    it("keeps a backslash before any other character literally", () => {
      expect(message(codec.decode("#path|C:\\tmp\\n")).data).toEqual(["C:\\tmp\\n"]);
    });

    it("keeps a trailing lone backslash", () => {
      expect(message(codec.decode("#chat|end\\")).data).toEqual(["end\\"]);
      expect(message(codec.decode("#chat\\"))).toEqual({ event: "#chat\\", data: [] });
    });

    it("reports an empty event name as a bad frame", () => {
      for (const frame of ["#", "#|a", "#|"]) {
        const result = codec.decode(frame);
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe("bad_frame");
          expect(result.error.message).toMatch(/^Invalid frame: /);
        }
      }
    });

    it("splits only on the configured separator", () => {
      expect(message(separator(",").decode("#chat|x,a\\,b,c\\|"))).toEqual({
        event: "#chat|x",
        data: ["a,b", "c\\|"],
      });
    });

    it("never throws and returns ok or a bad_frame failure", () => {
      fc.assert(
        fc.property(anyString, (frame) => {
          const result = codec.decode(frame);
          if (result.ok) expect(typeof result.message.event).toBe("string");
          else expect(result.error.code).toBe("bad_frame");
        }),
      );
    });

    it("passes any frame without '#' through unchanged", () => {
      fc.assert(
        fc.property(anyString, (frame) => {
          fc.pre(!frame.startsWith("#"));
          expect(message(codec.decode(frame))).toEqual({ event: "message", data: frame });
        }),
      );
    });
  });

  describe("encode", () => {
    it("sends a string as is", () => {
      expect(codec.encode("#not|escaped\\")).toBe("#not|escaped\\");
    });

    it("sends an object as its JSON text", () => {
      const payload = { type: "msg", user: "ann", message: "hi|there" };
      expect(codec.encode(payload)).toBe(JSON.stringify(payload));
    });

    it("sends other values as their JSON text", () => {
      expect(codec.encode(42)).toBe("42");
      expect(codec.encode(null)).toBe("null");
      expect(codec.encode([1, "a"])).toBe('[1,"a"]');
    });

    it("sends undefined as an empty frame", () => {
      expect(codec.encode(undefined)).toBe("");
    });

    it("throws a TypeError for unserialisable payloads", () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      expect(() => codec.encode(circular)).toThrow(TypeError);
      expect(() => codec.encode(10n)).toThrow(TypeError);
    });
  });

  describe("encodeEvent", () => {
    it("encodes an event with one field per array element", () => {
      expect(codec.encodeEvent("#chat", ["hello", "world"])).toBe("#chat|hello|world");
    });

    it("prefixes '#' to an event name without it", () => {
      expect(codec.encodeEvent("chat", ["x"])).toBe("#chat|x");
    });

    it("encodes undefined data as no fields and an empty array likewise", () => {
      expect(codec.encodeEvent("#chat", undefined)).toBe("#chat");
      expect(codec.encodeEvent("#chat", [])).toBe("#chat");
    });

    it("encodes a non-array value as one field", () => {
      expect(codec.encodeEvent("#chat", "a|b")).toBe("#chat|a\\|b");
      expect(codec.encodeEvent("#n", 7)).toBe("#n|7");
      expect(codec.encodeEvent("#o", { a: "|" })).toBe('#o|{"a":"\\|"}');
    });

    it("encodes non-string elements as their JSON text", () => {
      expect(codec.encodeEvent("#mix", [1, true, null, { a: 1 }, undefined])).toBe(
        '#mix|1|true|null|{"a":1}|',
      );
    });

    it("escapes separators and backslashes in the event name and fields", () => {
      expect(codec.encodeEvent("#a|b\\", ["c|d", "e\\"])).toBe("#a\\|b\\\\|c\\|d|e\\\\");
    });

    it("throws a TypeError for an empty event name", () => {
      expect(() => codec.encodeEvent("", [])).toThrow(TypeError);
      expect(() => codec.encodeEvent("#", ["x"])).toThrow(TypeError);
    });

    it("throws a TypeError for unserialisable fields", () => {
      expect(() => codec.encodeEvent("#big", [1n])).toThrow(TypeError);
    });

    it("round-trips any event name and any string fields through decode", () => {
      const validSeparator = fc
        .oneof(fc.constantFrom("|", ",", ";", " ", "\n"), unit)
        .filter((sep) => {
          const code = sep.charCodeAt(0);
          return (
            sep.length === 1 && sep !== "\\" && sep !== "#" && (code < 0xd800 || code > 0xdfff)
          );
        });
      fc.assert(
        fc.property(validSeparator, text, fc.array(anyString), (sep, event, fields) => {
          const name = event.startsWith("#") ? event : `#${event}`;
          fc.pre(name !== "#");
          const codecForSep = separator(sep);
          const result = codecForSep.decode(codecForSep.encodeEvent(event, fields));
          expect(message(result)).toEqual({ event: name, data: fields });
        }),
      );
    });
  });

  describe("encodeError", () => {
    it("encodes an escaped error event", () => {
      expect(codec.encodeError("bad_frame", "a|b")).toBe("#error|bad_frame|a\\|b");
      expect(message(codec.decode(codec.encodeError("bad_frame", "a|b\\")))).toEqual({
        event: "#error",
        data: ["bad_frame", "a|b\\"],
      });
    });
  });

  describe("encodeAck", () => {
    it("returns undefined because the protocol has no acks", () => {
      expect(codec.encodeAck(1, { ok: true, data: "x" })).toBeUndefined();
    });
  });

  describe("separator()", () => {
    it("throws a TypeError for a separator that is not one safe character", () => {
      for (const sep of ["", "||", "\\", "#", "\ud800", "\udc00", "😀"]) {
        expect(() => separator(sep)).toThrow(TypeError);
      }
    });

    it("names the codec", () => {
      expect(codec.name).toBe("separator");
    });
  });
});
