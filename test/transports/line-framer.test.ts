import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLineFramer, type LineFramerStep } from "../../src/transports/line-framer.js";
import { anyBytes, cut, cutPoints } from "../helpers/arbitraries.js";

/** Feeds every chunk; returns all lines and the flags of the last step. */
function feed(chunks: readonly (Buffer | string)[], maxLine = 1024) {
  const framer = createLineFramer({ maxLine });
  const lines: string[] = [];
  let last: LineFramerStep = { lines: [], overflow: false, invalid: false };
  for (const chunk of chunks) {
    last = framer.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    lines.push(...last.lines);
  }
  return { lines, overflow: last.overflow, invalid: last.invalid };
}

/**
 * A line as a client would write it: any well-formed Unicode text with no LF, not ending in CR.
 * (Lone surrogates have no UTF-8 form: `Buffer.from` would write U+FFFD for them.)
 */
const lineArb = fc
  .string({ unit: "binary", maxLength: 40 })
  .map((text) => text.replaceAll("\n", " ").replace(/\r+$/, ""));

describe("createLineFramer", () => {
  it("yields one line per LF, in order, from a single chunk", () => {
    expect(feed(['{"type":"a"}\n{"type":"b"}\n{"type":"c"}\n']).lines).toEqual([
      '{"type":"a"}',
      '{"type":"b"}',
      '{"type":"c"}',
    ]);
  });

  it("joins a line written across several chunks", () => {
    expect(feed(['{"ty', 'pe":', '"a"}', "\n"]).lines).toEqual(['{"type":"a"}']);
  });

  it("keeps the unterminated rest of a chunk for the next one", () => {
    const framer = createLineFramer({ maxLine: 100 });
    expect(framer.push(Buffer.from("one\ntw")).lines).toEqual(["one"]);
    expect(framer.push(Buffer.from("o\nthree")).lines).toEqual(["two"]);
    expect(framer.push(Buffer.from("\n")).lines).toEqual(["three"]);
  });

  it("strips one CR before LF, also when the CR ends a chunk", () => {
    expect(feed(["a\r\nb\r", "\nc\r\r\n"]).lines).toEqual(["a", "b", "c\r"]);
  });

  it("skips empty lines, CRLF-only lines included", () => {
    expect(feed(["\n\na\n\r\n", "\n", "b\n"]).lines).toEqual(["a", "b"]);
  });

  it("never yields an unterminated last line", () => {
    expect(feed(["a\nb"]).lines).toEqual(["a"]);
  });

  it("decodes a multi-byte character split between chunks", () => {
    const bytes = Buffer.from("é🎉✓\n");
    for (let at = 1; at < bytes.length - 1; at++) {
      expect(feed([bytes.subarray(0, at), bytes.subarray(at)]).lines).toEqual(["é🎉✓"]);
    }
  });

  it("reports invalid UTF-8, after yielding the lines before it, and stops", () => {
    const framer = createLineFramer({ maxLine: 100 });
    const step = framer.push(Buffer.from([0x61, 0x0a, 0xc3, 0x28, 0x0a, 0x62, 0x0a]));
    expect(step).toEqual({ lines: ["a"], overflow: false, invalid: true });
    expect(framer.push(Buffer.from("c\n"))).toEqual({ lines: [], overflow: false, invalid: true });
  });

  it("reports a lone surrogate encoded as UTF-8 (CESU) as invalid", () => {
    expect(feed([Buffer.from([0xed, 0xa0, 0x80, 0x0a])]).invalid).toBe(true);
  });

  it("accepts a line of exactly maxLine bytes, with LF or CRLF", () => {
    expect(feed(["abcd\n", "efgh\r", "\n"], 4)).toEqual({
      lines: ["abcd", "efgh"],
      overflow: false,
      invalid: false,
    });
  });

  it("counts bytes, not characters, against maxLine", () => {
    expect(feed(["éé\n"], 4).overflow).toBe(false);
    expect(feed(["ééé\n"], 5).overflow).toBe(true);
  });

  it("reports overflow before the line ends, as soon as maxLine is exceeded", () => {
    const framer = createLineFramer({ maxLine: 4 });
    expect(framer.push(Buffer.from("ok\nabcd")).overflow).toBe(false);
    expect(framer.push(Buffer.from("e"))).toEqual({ lines: [], overflow: true, invalid: false });
  });

  it("waits for the next byte when maxLine + 1 bytes end in a CR", () => {
    const framer = createLineFramer({ maxLine: 4 });
    expect(framer.push(Buffer.from("abcd\r")).overflow).toBe(false);
    expect(framer.push(Buffer.from("x")).overflow).toBe(true);
  });

  it("stops after an overflow: later lines are not yielded", () => {
    const framer = createLineFramer({ maxLine: 3 });
    expect(framer.push(Buffer.from("abc\nlong line\nxyz\n"))).toEqual({
      lines: ["abc"],
      overflow: true,
      invalid: false,
    });
    expect(framer.push(Buffer.from("abc\n")).lines).toEqual([]);
  });

  it("does not keep the chunk it was given", () => {
    const framer = createLineFramer({ maxLine: 100 });
    const chunk = Buffer.from("hello");
    framer.push(chunk);
    chunk.fill(0x21);
    expect(framer.push(Buffer.from("\n")).lines).toEqual(["hello"]);
  });

  it("refuses a negative or fractional maxLine", () => {
    expect(() => createLineFramer({ maxLine: -1 })).toThrow(RangeError);
    expect(() => createLineFramer({ maxLine: 1.5 })).toThrow(RangeError);
  });

  describe("properties", () => {
    it("yields exactly the non-empty lines, however their bytes are chunked", () => {
      fc.assert(
        fc.property(
          fc.array(lineArb, { maxLength: 20 }),
          fc.boolean(),
          cutPoints,
          (lines, crlf, points) => {
            const text = lines.map((line) => line + (crlf ? "\r\n" : "\n")).join("");
            const result = feed(cut(Buffer.from(text), points), 1_000);
            expect(result).toEqual({
              lines: lines.filter((line) => line !== ""),
              overflow: false,
              invalid: false,
            });
          },
        ),
      );
    });

    it("overflows exactly when a line is longer than maxLine, yielding the lines before it", () => {
      fc.assert(
        fc.property(
          fc.array(lineArb, { maxLength: 12 }),
          fc.integer({ min: 0, max: 60 }),
          cutPoints,
          (lines, maxLine, points) => {
            const text = lines.map((line) => `${line}\n`).join("");
            const tooLong = lines.findIndex((line) => Buffer.byteLength(line) > maxLine);
            const good = tooLong === -1 ? lines : lines.slice(0, tooLong);
            const result = feed(cut(Buffer.from(text), points), maxLine);
            expect(result.overflow).toBe(tooLong !== -1);
            expect(result.lines).toEqual(good.filter((line) => line !== ""));
          },
        ),
      );
    });

    it("gives the same lines and flags for any byte stream however it is chunked", () => {
      fc.assert(
        fc.property(
          anyBytes,
          cutPoints,
          fc.integer({ min: 0, max: 40 }),
          (bytes, points, maxLine) => {
            const whole = Buffer.from(bytes);
            expect(feed(cut(whole, points), maxLine)).toEqual(feed([whole], maxLine));
          },
        ),
        { numRuns: 500 },
      );
    });

    it("refuses a line of any bytes longer than maxLine, however it is chunked", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: 40 }),
          fc.integer({ min: 1, max: 40 }),
          anyBytes,
          cutPoints,
          (maxLine, excess, filler, points) => {
            // Any bytes but CR and LF, repeated to the length that must be refused.
            const body = filler.filter((byte) => byte !== 0x0a && byte !== 0x0d);
            const line = Buffer.alloc(maxLine + excess, body.length > 0 ? body : "x");
            const stream = Buffer.concat([Buffer.from("ok\n"), line, Buffer.from("\nok\n")]);
            expect(feed(cut(stream, points), maxLine)).toEqual({
              lines: ["ok"],
              overflow: true,
              invalid: false,
            });
          },
        ),
      );
    });

    it("never throws and never yields a line with LF or over maxLine, on any bytes", () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 10 }),
          fc.integer({ min: 0, max: 40 }),
          (chunks, maxLine) => {
            const result = feed(
              chunks.map((chunk) => Buffer.from(chunk)),
              maxLine,
            );
            for (const line of result.lines) {
              expect(line).not.toContain("\n");
              expect(line).not.toBe("");
              expect(Buffer.byteLength(line)).toBeLessThanOrEqual(maxLine);
            }
          },
        ),
      );
    });
  });
});
