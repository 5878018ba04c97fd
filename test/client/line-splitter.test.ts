import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLineSplitter } from "../../src/client/line-splitter.js";
import { controlLine } from "../../src/client/tcp-socket.js";

function feed(chunks: readonly string[], maxLine = 1024) {
  const splitter = createLineSplitter(maxLine);
  const lines: string[] = [];
  let overflow = false;
  for (const chunk of chunks) {
    const step = splitter.push(chunk);
    lines.push(...step.lines);
    overflow = step.overflow;
  }
  return { lines, overflow };
}

describe("createLineSplitter", () => {
  it("splits lines, strips CR before LF, skips empty lines and holds an unfinished one", () => {
    expect(feed(['{"a":1}\n\n{"b"', ':2}\r\n{"c"'])).toEqual({
      lines: ['{"a":1}', '{"b":2}'],
      overflow: false,
    });
  });

  it("yields the same lines however the text is cut into chunks", () => {
    const lineArb = fc.string().map((text) => text.replaceAll("\n", " ").replace(/\r$/, ""));
    fc.assert(
      fc.property(fc.array(lineArb), fc.array(fc.nat()), (lines, cuts) => {
        const text = lines.map((line) => `${line}\n`).join("");
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort(
          (a, b) => a - b,
        );
        const chunks: string[] = [];
        let start = 0;
        for (const end of [...points, text.length]) {
          chunks.push(text.slice(start, end));
          start = end;
        }
        expect(feed(chunks, 1_000_000).lines).toEqual(lines.filter((line) => line !== ""));
      }),
    );
  });

  it("reports a line over maxLine, finished or not, and yields nothing after", () => {
    expect(feed(["12345\n"], 4)).toEqual({ lines: [], overflow: true });
    expect(feed(["ok\n123", "456"], 4)).toEqual({ lines: ["ok"], overflow: true });
    expect(feed(["1234", "\r\nok\n"], 4)).toEqual({ lines: ["1234", "ok"], overflow: false });
    expect(feed(["12345\n", "ok\n"], 4)).toEqual({ lines: [], overflow: true });
  });
});

describe("controlLine", () => {
  it("recognises the TCP transport's ping, pong and close lines", () => {
    expect(controlLine('{"type":"ping"}')).toEqual({ type: "ping" });
    expect(controlLine('{"type":"pong"}')).toEqual({ type: "pong" });
    expect(controlLine('{"type":"close","data":{"code":1001,"reason":"bye"}}')).toEqual({
      type: "close",
      code: 1001,
      reason: "bye",
    });
  });

  it("leaves every other line to the application", () => {
    expect(controlLine('{"type":"chat","data":"ping"}')).toBeUndefined();
    expect(controlLine('{"type":"news","data":1}')).toBeUndefined();
    expect(controlLine('"ping"')).toBeUndefined();
    expect(controlLine("not json")).toBeUndefined();
  });
});
