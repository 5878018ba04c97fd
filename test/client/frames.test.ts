import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { json } from "../../protocols/json.js";
import { separator } from "../../protocols/separator.js";
import { jsonFrames, separatorFrames } from "../../src/client/frames.js";

describe("jsonFrames", () => {
  const frames = jsonFrames();

  it("encodes events and requests as the broker's json codec reads them", () => {
    const codec = json();
    expect(codec.decode(frames.encodeEvent("chat", "hi"))).toEqual({
      ok: true,
      message: { event: "chat", data: "hi" },
    });
    expect(codec.decode(frames.encodeRequest("sum", [1, 2], 7) ?? "")).toEqual({
      ok: true,
      message: { event: "sum", data: [1, 2], ackId: 7 },
    });
  });

  it("reads events, acks, ack errors and error frames", () => {
    expect(frames.decode('{"type":"news","data":{"a":1}}')).toEqual({
      kind: "event",
      type: "news",
      data: { a: 1 },
    });
    expect(frames.decode('{"type":"ack","id":3,"data":5}')).toEqual({
      kind: "ack",
      id: 3,
      outcome: { ok: true, data: 5 },
    });
    expect(frames.decode('{"type":"ack","id":3}')).toEqual({
      kind: "ack",
      id: 3,
      outcome: { ok: true, data: undefined },
    });
    expect(frames.decode('{"type":"ack","id":4,"error":{"message":"no"}}')).toEqual({
      kind: "ack",
      id: 4,
      outcome: { ok: false, message: "no" },
    });
    // The broker refused it before any listener saw it: the code comes along.
    expect(
      frames.decode('{"type":"ack","id":5,"error":{"code":"auth_expired","message":"late"}}'),
    ).toEqual({
      kind: "ack",
      id: 5,
      outcome: { ok: false, message: "late", code: "auth_expired" },
    });
    expect(frames.decode(json().encodeError("bad_frame", "Invalid frame"))).toEqual({
      kind: "error",
      code: "bad_frame",
      message: "Invalid frame",
    });
  });

  it("delivers a typed frame without data whole, and a bare type with no data", () => {
    const chat = { type: "msg", user: "alice", message: "hi" };
    expect(frames.decode(JSON.stringify(chat))).toEqual({ kind: "event", type: "msg", data: chat });
    expect(frames.decode('{"type":"tick"}')).toEqual({
      kind: "event",
      type: "tick",
      data: undefined,
    });
  });

  it("reports frames it cannot read instead of throwing", () => {
    for (const text of [
      "nope",
      "[1]",
      "null",
      '{"type":""}',
      '{"data":1}',
      '{"type":"ack","id":-1}',
    ]) {
      expect(frames.decode(text).kind).toBe("invalid");
    }
  });

  it("ignores an inherited type (prototype pollution)", () => {
    expect(frames.decode('{"__proto__":{"type":"x"}}').kind).toBe("invalid");
  });

  it("round-trips any event through the broker's encoder", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.jsonValue(), (type, data) => {
        fc.pre(type !== "ack" && type !== "error");
        const decoded = frames.decode(json().encodeEvent(type, data));
        expect(decoded).toEqual({ kind: "event", type, data: JSON.parse(JSON.stringify(data)) });
      }),
    );
  });
});

describe("separatorFrames", () => {
  const frames = separatorFrames("|");

  it("encodes #event|fields, adding the # and escaping the separator", () => {
    expect(frames.encodeEvent("chat", ["a|b", "c"])).toBe("#chat|a\\|b|c");
    expect(frames.encodeEvent("#chat", "one")).toBe("#chat|one");
    expect(frames.encodeRequest("chat", [], 1)).toBeUndefined();
  });

  it("sends a message string as plain text, and refuses one that would read as an event", () => {
    expect(frames.encodeEvent("message", "hello")).toBe("hello");
    expect(() => frames.encodeEvent("message", "#hello")).toThrow(TypeError);
  });

  it("reads events, plain text and #error frames", () => {
    expect(frames.decode("#tick|1|2")).toEqual({ kind: "event", type: "#tick", data: ["1", "2"] });
    expect(frames.decode("hi there")).toEqual({ kind: "event", type: "message", data: "hi there" });
    expect(frames.decode(separator().encodeError("bad_frame", "Invalid frame"))).toEqual({
      kind: "error",
      code: "bad_frame",
      message: "Invalid frame",
    });
    expect(frames.decode("#").kind).toBe("invalid");
  });

  it("round-trips fields through the broker's codec", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}$/), fc.array(fc.string()), (name, fields) => {
        const text = frames.encodeEvent(name, fields);
        expect(separator().decode(text)).toEqual({
          ok: true,
          message: { event: `#${name}`, data: fields },
        });
      }),
    );
  });
});
