import { describe, expect, it } from "vitest";
import { createActor, fromCallback } from "xstate";
import { eventFields, HIDDEN, toJson } from "../../src/inspector/records.js";

describe("eventFields", () => {
  it("hides payload fields unless payloads are on", () => {
    const event = {
      type: "client.emit",
      id: "c1",
      event: "#chat",
      data: ["secret"],
      frame: "secret",
      payload: { secret: true },
      error: new Error("secret"),
    };
    expect(eventFields(event, false)).toEqual({
      id: "c1",
      event: "#chat",
      data: HIDDEN,
      frame: HIDDEN,
      payload: HIDDEN,
      error: HIDDEN,
    });
    expect(eventFields(event, true)).toEqual({
      id: "c1",
      event: "#chat",
      data: ["secret"],
      frame: "secret",
      payload: { secret: true },
      error: { name: "Error", message: "secret" },
    });
  });

  it("leaves out the type and actor input", () => {
    expect(
      eventFields({ type: "xstate.init", input: { token: "x" } } as { type: string }, true),
    ).toEqual({});
  });

  it("drops functions and shows actor refs by id and class instances by name", () => {
    const ref = createActor(
      fromCallback(() => {}),
      { id: "child" },
    );
    class Transport {
      readonly secret = "x";
    }
    const event = {
      type: "connection.accept",
      ref,
      transport: new Transport(),
      report: () => 1,
      rooms: ["a"],
    };
    const fields = eventFields(event, false);
    expect(fields).toEqual({ ref: "actor:child", transport: "[Transport]", rooms: ["a"] });
  });
});

describe("toJson", () => {
  it("bounds strings, depth and length, and never throws", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => JSON.stringify(toJson(cyclic))).not.toThrow();
    expect(String(toJson("x".repeat(5_000))).length).toBeLessThan(1_100);
    expect((toJson(Array.from({ length: 500 }, (_, i) => i)) as unknown[]).length).toBe(51);
    expect(toJson(new Set([1, 2]))).toEqual([1, 2]);
    expect(toJson(10n)).toBe("10");
    expect(toJson(Number.NaN)).toBe("NaN");
    expect(toJson(Buffer.from("abc"))).toBe("[3 bytes]");
    expect(toJson(undefined)).toBeUndefined();
  });
});
