import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type EventFields,
  eventSource,
  formatComment,
  formatEvent,
  formatRetry,
  payloadText,
  withId,
} from "../../protocols/event-source.js";
import {
  createEventStreamState,
  feedEventStream,
  type ParsedEvent,
  parseEventStream,
} from "../../protocols/event-source-parser.js";
import { anyJson, anyString, codeUnit, positiveZero } from "../helpers/arbitraries.js";

const codec = eventSource();
const jsonCodec = eventSource({ json: true });

/** What a client reads back from data: the stream format turns every CRLF and CR into LF. */
function normalise(data: string): string {
  return data.replace(/\r\n?/g, "\n");
}

/** The one event a frame holds, failing the test when it holds any other number. */
function only(frame: string): ParsedEvent {
  const events = parseEventStream(frame);
  expect(events).toHaveLength(1);
  const [event] = events;
  if (!event) throw new Error("expected one event");
  return event;
}

/** Line breaks, colons, spaces, BOM and NUL: what the stream format treats specially. */
const SPECIAL = ["\r", "\n", "\r\n", "\n\n", ":", " ", "\uFEFF", "\0"];
const unit = codeUnit(SPECIAL);
const text = anyString(SPECIAL);
/** Payloads that end in a lone CR, the case a naive splitter gets wrong. */
const data = fc.oneof(
  text,
  text.map((t) => `${t}\r`),
);
const eventName = fc.string({ unit, minLength: 1 }).map((s) => s.replace(/[\r\n]/g, "x"));
const eventId = fc.string({ unit }).map((s) => s.replace(/[\r\n\0]/g, "x"));
const retry = fc.nat();
const fields: fc.Arbitrary<EventFields> = fc.record(
  { id: eventId, event: eventName, data, retry },
  { requiredKeys: ["data"] },
);
/** A name or id with a CR or LF somewhere in it. */
const broken = fc
  .tuple(text, fc.constantFrom("\r", "\n", "\r\n"), text)
  .map(([a, b, c]) => a + b + c);
const anyValue = anyJson(SPECIAL);

describe("event-source", () => {
  it("names the codec and reports its options", () => {
    expect(codec.name).toBe("event-source");
    expect(codec.json).toBe(false);
    expect(jsonCodec.json).toBe(true);
  });

  it("throws a TypeError for a json option that is not a boolean", () => {
    expect(() => eventSource({ json: "yes" as unknown as boolean })).toThrow(TypeError);
  });

  describe("decode", () => {
    it("reports every frame as a bad frame: clients cannot send", () => {
      expect(codec.decode("data: hi\n\n")).toEqual({
        ok: false,
        error: {
          code: "bad_frame",
          message: "Invalid frame: event-source clients cannot send frames",
        },
      });
    });

    it("never throws", () => {
      fc.assert(
        fc.property(text, (frame) => {
          const result = codec.decode(frame);
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.error.code).toBe("bad_frame");
        }),
      );
    });
  });

  describe("formatEvent", () => {
    it("writes id, event, retry and data lines, then an empty line", () => {
      expect(formatEvent({ id: "7", event: "chat", retry: 1000, data: "hi" })).toBe(
        "id: 7\nevent: chat\nretry: 1000\ndata: hi\n\n",
      );
    });

    it("writes only the data line when nothing else is given", () => {
      expect(formatEvent({ data: "hi" })).toBe("data: hi\n\n");
    });

    it("writes one data line per line of data, whatever ends the lines", () => {
      expect(formatEvent({ data: "a\nb\r\nc\rd" })).toBe("data: a\ndata: b\ndata: c\ndata: d\n\n");
    });

    it("writes a data line for each empty line, trailing ones included", () => {
      expect(formatEvent({ data: "\n" })).toBe("data: \ndata: \n\n");
      expect(formatEvent({ data: "a\r" })).toBe("data: a\ndata: \n\n");
      expect(formatEvent({ data: "a\r\n" })).toBe("data: a\ndata: \n\n");
    });

    it("writes one empty data line for empty data, which clients dispatch as an empty string", () => {
      expect(formatEvent({ data: "" })).toBe("data: \n\n");
      expect(only(formatEvent({ data: "" }))).toEqual({
        type: "message",
        data: "",
        lastEventId: "",
      });
    });

    it("keeps leading spaces and colons of data lines", () => {
      expect(only(formatEvent({ data: " a\n:b\n  " })).data).toBe(" a\n:b\n  ");
    });

    it("writes an empty id, which resets the client's last event id", () => {
      expect(formatEvent({ id: "", data: "x" })).toBe("id: \ndata: x\n\n");
    });

    it("throws a TypeError for an empty event name", () => {
      expect(() => formatEvent({ event: "", data: "x" })).toThrow(TypeError);
    });

    it("throws a TypeError for a CR or LF in the event name", () => {
      for (const event of ["a\nb", "a\rb", "a\r\n", "\n"]) {
        expect(() => formatEvent({ event, data: "x" })).toThrow(/^Invalid event/);
      }
    });

    it("throws a TypeError for a CR, LF or NUL in the id", () => {
      for (const id of ["1\n", "\r1", "1\r\n2", "1\u00002"]) {
        expect(() => formatEvent({ id, data: "x" })).toThrow(TypeError);
      }
    });

    it("throws a TypeError for a retry that is not a non-negative safe integer", () => {
      for (const ms of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        expect(() => formatEvent({ retry: ms, data: "x" })).toThrow(TypeError);
      }
    });

    it("is read back as one event with the same type, id and data, CRs read as LF", () => {
      fc.assert(
        fc.property(fields, (event) => {
          const { state, events } = feedEventStream(createEventStreamState(), formatEvent(event));
          expect(events).toEqual([
            {
              type: event.event ?? "message",
              data: normalise(event.data),
              lastEventId: event.id ?? "",
            },
          ]);
          expect(state.retry).toBe(event.retry);
          expect(state.pending).toBe("");
        }),
        { numRuns: 500 },
      );
    });

    it("is read back event by event when many are concatenated with comments and retries", () => {
      const block = fc.oneof(
        { arbitrary: fields.map((f) => ({ kind: "event" as const, fields: f })), weight: 4 },
        { arbitrary: text.map((t) => ({ kind: "comment" as const, text: t })), weight: 1 },
        { arbitrary: retry.map((ms) => ({ kind: "retry" as const, ms })), weight: 1 },
      );
      fc.assert(
        fc.property(fc.array(block, { maxLength: 20 }), (blocks) => {
          let stream = "";
          let lastEventId = "";
          let lastRetry: number | undefined;
          const expected: ParsedEvent[] = [];
          for (const b of blocks) {
            if (b.kind === "comment") {
              stream += formatComment(b.text);
            } else if (b.kind === "retry") {
              stream += formatRetry(b.ms);
              lastRetry = b.ms;
            } else {
              stream += formatEvent(b.fields);
              lastEventId = b.fields.id ?? lastEventId;
              lastRetry = b.fields.retry ?? lastRetry;
              const type = b.fields.event ?? "message";
              expected.push({ type, data: normalise(b.fields.data), lastEventId });
            }
          }
          const { state, events } = feedEventStream(createEventStreamState(), stream);
          expect(events).toEqual(expected);
          expect(state.lastEventId).toBe(lastEventId);
          expect(state.retry).toBe(lastRetry);
        }),
      );
    });

    it("refuses any event name or id with a line break in it", () => {
      fc.assert(
        fc.property(broken, (value) => {
          expect(() => formatEvent({ event: value, data: "" })).toThrow(TypeError);
          expect(() => formatEvent({ id: value, data: "" })).toThrow(TypeError);
        }),
      );
    });
  });

  describe("withId", () => {
    it("puts an id line before the frame", () => {
      expect(withId("event: tick\ndata: 1\n\n", "5")).toBe("id: 5\nevent: tick\ndata: 1\n\n");
    });

    it("gives the frame's event the id", () => {
      fc.assert(
        fc.property(fields, eventId, (event, id) => {
          const frame = formatEvent({ ...event, id: undefined });
          expect(only(withId(frame, id))).toEqual(only(formatEvent({ ...event, id })));
          expect(only(withId(frame, id)).lastEventId).toBe(id);
        }),
      );
    });

    it("throws a TypeError for a CR, LF or NUL in the id", () => {
      for (const id of ["1\n", "1\r", "1\0"]) {
        expect(() => withId("data: x\n\n", id)).toThrow(/^Invalid id/);
      }
    });

    it("throws a TypeError for a frame that already has an id", () => {
      expect(() => withId(formatEvent({ id: "1", data: "x" }), "2")).toThrow(/already has an id/);
    });
  });

  describe("formatComment", () => {
    it("writes the keepalive comment", () => {
      expect(formatComment("keepalive")).toBe(": keepalive\n\n");
    });

    it("writes each line of the text as its own comment line", () => {
      expect(formatComment("a\r\ndata: x\rb")).toBe(": a\n: data: x\n: b\n\n");
    });

    it("is never read as an event, whatever the text", () => {
      fc.assert(
        fc.property(text, (comment) => {
          const frame = formatComment(comment) + formatEvent({ data: "after" });
          expect(parseEventStream(frame)).toEqual([
            { type: "message", data: "after", lastEventId: "" },
          ]);
        }),
      );
    });
  });

  describe("formatRetry", () => {
    it("writes a retry block", () => {
      expect(formatRetry(5000)).toBe("retry: 5000\n\n");
      expect(feedEventStream(createEventStreamState(), formatRetry(0)).state.retry).toBe(0);
    });

    it("throws a TypeError for a retry that is not a non-negative safe integer", () => {
      for (const ms of [-1, 0.5, Number.NaN, 1e300]) {
        expect(() => formatRetry(ms)).toThrow(/^Invalid retry/);
      }
    });
  });

  describe("payloadText", () => {
    it("sends a string as is and anything else as JSON text", () => {
      expect(payloadText("a\nb")).toBe("a\nb");
      expect(payloadText({ a: [1, "x"] })).toBe('{"a":[1,"x"]}');
      expect(payloadText(42)).toBe("42");
      expect(payloadText(null)).toBe("null");
    });

    it("sends an empty string for values JSON has no text for", () => {
      expect(payloadText(undefined)).toBe("");
      expect(payloadText(() => 1)).toBe("");
      expect(payloadText(Symbol("s"))).toBe("");
    });

    it("sends strings as JSON text too, and nothing as null, with json: true", () => {
      expect(payloadText("a\r\nb", { json: true })).toBe('"a\\r\\nb"');
      expect(payloadText(undefined, { json: true })).toBe("null");
      expect(jsonCodec.payloadText("x")).toBe('"x"');
      expect(codec.payloadText("x")).toBe("x");
    });

    it("throws a TypeError for unserialisable values", () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      expect(() => payloadText(circular)).toThrow(TypeError);
      expect(() => payloadText(10n, { json: true })).toThrow(TypeError);
    });
  });

  describe("encode", () => {
    it("sends a string as a message event", () => {
      expect(codec.encode("hello")).toBe("data: hello\n\n");
    });

    it("sends a multi-line string as one data line per line", () => {
      expect(codec.encode("a\r\nb\nc")).toBe("data: a\ndata: b\ndata: c\n\n");
    });

    it("sends numbers, null, arrays and untyped objects as JSON text", () => {
      expect(codec.encode(1)).toBe("data: 1\n\n");
      expect(codec.encode(null)).toBe("data: null\n\n");
      expect(codec.encode([{ type: "x" }])).toBe('data: [{"type":"x"}]\n\n');
      expect(codec.encode({ user: "ann" })).toBe('data: {"user":"ann"}\n\n');
    });

    it("sends undefined as an empty message", () => {
      expect(codec.encode(undefined)).toBe("data: \n\n");
    });

    it("sends a { type, data } frame as that event with its data", () => {
      expect(codec.encode({ type: "chat", data: "hi\nthere" })).toBe(
        "event: chat\ndata: hi\ndata: there\n\n",
      );
      expect(codec.encode({ data: { n: 1 }, type: "tick" })).toBe('event: tick\ndata: {"n":1}\n\n');
      expect(codec.encode({ type: "ping" })).toBe("event: ping\ndata: \n\n");
    });

    it("sends any other typed object whole as JSON under its type", () => {
      const payload = { type: "msg", user: "ann", message: "hi" };
      expect(codec.encode(payload)).toBe(
        'event: msg\ndata: {"type":"msg","user":"ann","message":"hi"}\n\n',
      );
    });

    it("sends an object whose type cannot be an event name as a plain message", () => {
      expect(codec.encode({ type: 1, data: 2 })).toBe('data: {"type":1,"data":2}\n\n');
      expect(codec.encode({ type: "", data: 2 })).toBe('data: {"type":"","data":2}\n\n');
      expect(codec.encode({ type: "a\nb", data: 2 })).toBe('data: {"type":"a\\nb","data":2}\n\n');
    });

    it("ignores an inherited type", () => {
      const payload: unknown = Object.create({ type: "inherited" });
      expect(codec.encode(payload)).toBe("data: {}\n\n");
    });

    it("throws a TypeError for unserialisable payloads", () => {
      const circular: Record<string, unknown> = { type: "x" };
      circular.self = circular;
      expect(() => codec.encode(circular)).toThrow(TypeError);
      expect(() => codec.encode(10n)).toThrow(TypeError);
    });

    it("sends every payload as JSON with json: true", () => {
      expect(jsonCodec.encode("a\nb")).toBe('data: "a\\nb"\n\n');
      expect(jsonCodec.encode(undefined)).toBe("data: null\n\n");
      expect(jsonCodec.encode({ type: "chat", data: "hi" })).toBe('event: chat\ndata: "hi"\n\n');
      expect(jsonCodec.encode({ type: "ping" })).toBe("event: ping\ndata: null\n\n");
    });

    it("always writes exactly one event, whatever the payload", () => {
      const payload = fc.oneof(
        text,
        anyValue,
        fc.record({ type: fc.oneof(text, eventName), data: fc.oneof(text, anyValue) }),
      );
      fc.assert(
        fc.property(payload, (value) => {
          only(codec.encode(value));
          only(jsonCodec.encode(value));
        }),
      );
    });

    it("reads back a string payload with CRs as LF", () => {
      fc.assert(
        fc.property(data, (value) => {
          expect(only(codec.encode(value))).toEqual({
            type: "message",
            data: normalise(value),
            lastEventId: "",
          });
        }),
      );
    });

    it("reads back any JSON value exactly with json: true", () => {
      fc.assert(
        fc.property(fc.oneof(anyValue, text), (value) => {
          expect(JSON.parse(only(jsonCodec.encode(value)).data)).toEqual(positiveZero(value));
        }),
      );
    });
  });

  describe("encodeEvent", () => {
    it("sends the event name and its data", () => {
      expect(codec.encodeEvent("chat", ["a", 1])).toBe('event: chat\ndata: ["a",1]\n\n');
      expect(codec.encodeEvent("chat", "a\rb")).toBe("event: chat\ndata: a\ndata: b\n\n");
    });

    it("sends undefined data as an empty data line", () => {
      expect(codec.encodeEvent("ping", undefined)).toBe("event: ping\ndata: \n\n");
      expect(jsonCodec.encodeEvent("ping", undefined)).toBe("event: ping\ndata: null\n\n");
    });

    it("writes the message event name when asked to", () => {
      expect(codec.encodeEvent("message", "x")).toBe("event: message\ndata: x\n\n");
    });

    it("throws a TypeError for an empty event name or one with a line break", () => {
      expect(() => codec.encodeEvent("", 1)).toThrow(TypeError);
      expect(() => codec.encodeEvent("a\nevent: b", 1)).toThrow(TypeError);
    });

    it("reads back the event name and data", () => {
      fc.assert(
        fc.property(eventName, fc.oneof(text, anyValue), (name, value) => {
          const event = only(codec.encodeEvent(name, value));
          expect(event.type).toBe(name);
          expect(event.data).toBe(normalise(payloadText(value)));
          const jsonEvent = only(jsonCodec.encodeEvent(name, value));
          expect(jsonEvent.type).toBe(name);
          expect(JSON.parse(jsonEvent.data)).toEqual(positiveZero(value));
        }),
      );
    });

    it("matches encode of the same { type, data } frame", () => {
      fc.assert(
        fc.property(eventName, anyValue, (type, value) => {
          expect(codec.encode({ type, data: value })).toBe(codec.encodeEvent(type, value));
        }),
      );
    });
  });

  describe("encodeError", () => {
    it("sends an error event with the code and message as JSON", () => {
      expect(codec.encodeError("bad_frame", "Invalid frame: no\nway")).toBe(
        'event: error\ndata: {"code":"bad_frame","message":"Invalid frame: no\\nway"}\n\n',
      );
    });

    it("is read back as one error event carrying any code and message", () => {
      fc.assert(
        fc.property(text, text, (code, message) => {
          for (const each of [codec, jsonCodec]) {
            const event = only(each.encodeError(code, message));
            expect(event.type).toBe("error");
            expect(JSON.parse(event.data)).toEqual({ code, message });
          }
        }),
      );
    });
  });

  describe("encodeAck", () => {
    it("has nothing to answer", () => {
      expect(codec.encodeAck(1, { ok: true, data: 1 })).toBeUndefined();
    });
  });
});
