import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeResult } from "../../protocols/codec.js";
import { separator } from "../../protocols/separator.js";
import { anyJson, anyString, codeUnit, positiveZero, textOf } from "../helpers/arbitraries.js";

const codec = separator();

/** Narrows a decode result to its message, failing the test with the reason otherwise. */
function message(result: DecodeResult) {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return result.message;
}

/** The characters the codec treats specially, mixed into every generated string. */
const SPECIAL = ["|", "\\", "#", ",", ""];
const unit = codeUnit(SPECIAL);
const text = textOf(SPECIAL);
const anyText = anyString(SPECIAL);

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
        fc.property(anyText, (frame) => {
          const result = codec.decode(frame);
          if (result.ok) expect(typeof result.message.event).toBe("string");
          else expect(result.error.code).toBe("bad_frame");
        }),
      );
    });

    it("passes any frame without '#' through unchanged", () => {
      fc.assert(
        fc.property(anyText, (frame) => {
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

    it("sends any string as a frame that decodes without throwing, unchanged unless it is an event", () => {
      fc.assert(
        fc.property(anyText, (payload) => {
          const frame = codec.encode(payload);
          expect(frame).toBe(payload);
          const result = codec.decode(frame);
          if (!payload.startsWith("#")) expect(message(result).data).toBe(payload);
        }),
      );
    });

    it("sends any other JSON value as a message whose text parses back to it", () => {
      fc.assert(
        fc.property(anyJson(SPECIAL), (payload) => {
          fc.pre(typeof payload !== "string");
          const decoded = message(codec.decode(codec.encode(payload)));
          expect(decoded.event).toBe("message");
          expect(JSON.parse(decoded.data as string)).toEqual(positiveZero(payload));
        }),
      );
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
        fc.property(validSeparator, text, fc.array(anyText), (sep, event, fields) => {
          const name = event.startsWith("#") ? event : `#${event}`;
          fc.pre(name !== "#");
          const codecForSep = separator(sep);
          const result = codecForSep.decode(codecForSep.encodeEvent(event, fields));
          expect(message(result)).toEqual({ event: name, data: fields });
        }),
      );
    });
    it("round-trips any JSON fields as their JSON text", () => {
      fc.assert(
        fc.property(fc.array(anyJson(SPECIAL), { maxLength: 5 }), (fields) => {
          fc.pre(fields.every((field) => typeof field !== "string"));
          const decoded = message(codec.decode(codec.encodeEvent("#json", fields)));
          expect(decoded.event).toBe("#json");
          expect((decoded.data as string[]).map((field) => JSON.parse(field))).toEqual(
            positiveZero(fields),
          );
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

    it("round-trips any code and message through decode", () => {
      fc.assert(
        fc.property(anyText, anyText, (code, text) => {
          expect(message(codec.decode(codec.encodeError(code, text)))).toEqual({
            event: "#error",
            data: [code, text],
          });
        }),
      );
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
