import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createEventStreamState,
  type EventStreamState,
  feedEventStream,
  type ParsedEvent,
  parseEventStream,
} from "../../protocols/event-source-parser.js";
import { anyString, cut, cutPoints, textOf } from "../helpers/arbitraries.js";

/** Feeds the chunks one after the other; returns every event and the final state. */
function feedAll(chunks: readonly string[], state = createEventStreamState()) {
  const events: ParsedEvent[] = [];
  for (const chunk of chunks) {
    const step = feedEventStream(state, chunk);
    events.push(...step.events);
    state = step.state;
  }
  return { events, state };
}

/** A message event as a browser would fire it. */
function message(data: string, lastEventId = ""): ParsedEvent {
  return { type: "message", data, lastEventId };
}

/**
 * A deliberately naive reading of the WHATWG algorithm over a whole text (split all lines first,
 * then interpret them), to check the incremental parser against.
 */
function referenceParse(text: string) {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  lines.pop(); // the unterminated rest: an incomplete line is never processed
  const events: ParsedEvent[] = [];
  let data = "";
  let type = "";
  let idBuffer = "";
  let lastEventId = "";
  let retry: number | undefined;
  for (const line of lines) {
    if (line === "") {
      lastEventId = idBuffer;
      if (data !== "") {
        events.push({ type: type || "message", data: data.replace(/\n$/, ""), lastEventId });
      }
      data = "";
      type = "";
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (name === "event") type = value;
    else if (name === "data") data += `${value}\n`;
    else if (name === "id" && !value.includes("\0")) idBuffer = value;
    else if (name === "retry" && /^\d+$/.test(value)) retry = Number(value);
  }
  return { events, lastEventId, retry };
}

/** Stream text made mostly of the pieces the parser cares about. */
const streamText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "data",
        "data:",
        "data: ",
        "event:",
        "event: x",
        "id:",
        "id: 1",
        "id: a\0b",
        "retry:",
        "retry: 10",
        "retry: 1x",
        ":",
        " ",
        "\r",
        "\n",
        "\r\n",
        "\n\n",
        "\uFEFF",
        "Data:",
      ),
      fc.string({ maxLength: 3 }),
      textOf([], { maxLength: 3 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

describe("event-source-parser", () => {
  describe("lines", () => {
    it("dispatches an event at an empty line", () => {
      expect(parseEventStream("data: hello\n\n")).toEqual([message("hello")]);
    });

    it("ends lines at LF, CR and CRLF alike", () => {
      const expected = [message("a\nb"), message("c")];
      expect(parseEventStream("data: a\ndata: b\n\ndata: c\n\n")).toEqual(expected);
      expect(parseEventStream("data: a\rdata: b\r\rdata: c\r\r")).toEqual(expected);
      expect(parseEventStream("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n")).toEqual(expected);
      expect(parseEventStream("data: a\rdata: b\r\n\ndata: c\n\r")).toEqual(expected);
    });

    it("reads LF after CR as one line ending, but CR after LF as two", () => {
      expect(parseEventStream("data: a\r\n")).toEqual([]);
      expect(parseEventStream("data: a\n\r")).toEqual([message("a")]);
    });

    it("drops an event that the text ends before its empty line", () => {
      expect(parseEventStream("data: a\n\ndata: b\n")).toEqual([message("a")]);
      expect(parseEventStream("data: a\n\ndata: b")).toEqual([message("a")]);
    });

    it("ignores one leading byte order mark", () => {
      expect(parseEventStream("\uFEFFdata: a\n\n")).toEqual([message("a")]);
    });

    it("reads a second leading byte order mark as part of the first field name", () => {
      expect(parseEventStream("\uFEFF\uFEFFdata: a\n\ndata: b\n\n")).toEqual([message("b")]);
    });

    it("keeps a byte order mark that is not at the start of the stream", () => {
      expect(parseEventStream("data: a\n\n\uFEFFdata: b\n\n")).toEqual([message("a")]);
      expect(parseEventStream("data: \uFEFFb\n\n")).toEqual([message("\uFEFFb")]);
    });
  });

  describe("fields", () => {
    it("ignores comment lines", () => {
      expect(parseEventStream(": hello\ndata: a\n:\n\n")).toEqual([message("a")]);
    });

    it("dispatches nothing for a block of comments", () => {
      expect(parseEventStream(": keepalive\n\n")).toEqual([]);
    });

    it("removes exactly one space after the colon", () => {
      expect(parseEventStream("data:a\n\n")).toEqual([message("a")]);
      expect(parseEventStream("data:  a \n\n")).toEqual([message(" a ")]);
      expect(parseEventStream("data:\ta\n\n")).toEqual([message("\ta")]);
    });

    it("splits only at the first colon", () => {
      expect(parseEventStream("data: a: b:c\n\n")).toEqual([message("a: b:c")]);
    });

    it("reads a line without a colon as a field with an empty value", () => {
      expect(parseEventStream("data\n\n")).toEqual([message("")]);
      expect(parseEventStream("data\ndata\n\n")).toEqual([message("\n")]);
    });

    it("ignores unknown fields and matches names case-sensitively", () => {
      expect(parseEventStream("foo: 1\nData: x\nEVENT: y\ndata: a\n\n")).toEqual([message("a")]);
    });

    it("does not strip a space before the colon from the field name", () => {
      expect(parseEventStream("data : a\n\n")).toEqual([]);
    });

    it("keeps NUL and other control characters in data", () => {
      expect(parseEventStream("data: a\0b\x01\n\n")).toEqual([message("a\0b\x01")]);
    });
  });

  describe("data", () => {
    it("joins data lines with LF and strips only the final LF", () => {
      expect(parseEventStream("data: a\ndata:\ndata: b\n\n")).toEqual([message("a\n\nb")]);
      expect(parseEventStream("data:\ndata:\n\n")).toEqual([message("\n")]);
    });

    it("dispatches an empty string for one empty data line", () => {
      expect(parseEventStream("data:\n\n")).toEqual([message("")]);
      expect(parseEventStream("data: \n\n")).toEqual([message("")]);
    });

    it("dispatches nothing for a block without data", () => {
      expect(parseEventStream("event: chat\n\n")).toEqual([]);
      expect(parseEventStream("id: 1\nretry: 5\n\n")).toEqual([]);
      expect(parseEventStream("\n\n\n")).toEqual([]);
    });
  });

  describe("event", () => {
    it("sets the event type", () => {
      expect(parseEventStream("event: chat\ndata: a\n\n")).toEqual([
        { type: "chat", data: "a", lastEventId: "" },
      ]);
    });

    it("uses the last event line of a block", () => {
      expect(parseEventStream("event: a\nevent: b\ndata: x\n\n")[0]?.type).toBe("b");
    });

    it("falls back to message for an empty event type", () => {
      expect(parseEventStream("event:\ndata: a\n\n")).toEqual([message("a")]);
    });

    it("resets the event type after each block, dispatched or not", () => {
      const stream = "event: a\ndata: 1\n\ndata: 2\n\nevent: b\n\ndata: 3\n\n";
      expect(parseEventStream(stream).map((e) => e.type)).toEqual(["a", "message", "message"]);
    });
  });

  describe("id", () => {
    it("sets the last event id, which later events keep", () => {
      const events = parseEventStream("id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n");
      expect(events.map((e) => e.lastEventId)).toEqual(["1", "1", "2"]);
    });

    it("applies an id that follows the data in its block", () => {
      expect(parseEventStream("data: a\nid: 7\n\n")).toEqual([message("a", "7")]);
    });

    it("resets the last event id with an empty id", () => {
      const events = parseEventStream("id: 1\ndata: a\n\nid\ndata: b\n\n");
      expect(events.map((e) => e.lastEventId)).toEqual(["1", ""]);
    });

    it("ignores an id that contains NUL", () => {
      const events = parseEventStream("id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n");
      expect(events.map((e) => e.lastEventId)).toEqual(["1", "1"]);
    });

    it("updates the last event id at an empty line even when nothing is dispatched", () => {
      const { events, state } = feedAll(["id: 5\n\n"]);
      expect(events).toEqual([]);
      expect(state.lastEventId).toBe("5");
    });

    it("does not update the last event id for a block the stream has not ended", () => {
      expect(feedAll(["id: 1\n\nid: 2\ndata: x\n"]).state.lastEventId).toBe("1");
    });

    it("starts from the last event id a previous stream left", () => {
      const events = parseEventStream("data: a\n\n", { lastEventId: "9" });
      expect(events).toEqual([message("a", "9")]);
    });
  });

  describe("retry", () => {
    it("sets the reconnection time from digits only", () => {
      expect(feedAll(["retry: 5000\n\n"]).state.retry).toBe(5000);
      expect(feedAll(["retry:0\n"]).state.retry).toBe(0);
    });

    it("ignores a retry that is not only ASCII digits", () => {
      for (const value of ["", " 5", "5 ", "-1", "1.5", "1e3", "five", "\uFF15", "0x10"]) {
        const { state } = feedAll([`retry: 100\nretry:${value === "" ? "" : ` ${value}`}\n\n`]);
        expect(state.retry).toBe(100);
      }
    });

    it("dispatches no event for a retry block", () => {
      expect(parseEventStream("retry: 5000\n\ndata: a\n\n")).toEqual([message("a")]);
    });

    it("keeps the reconnection time a previous stream set", () => {
      expect(createEventStreamState({ retry: 300 }).retry).toBe(300);
    });
  });

  describe("feedEventStream", () => {
    it("completes an event across chunks", () => {
      const first = feedEventStream(createEventStreamState(), "data: hel");
      expect(first.events).toEqual([]);
      expect(feedEventStream(first.state, "lo\n\n").events).toEqual([message("hello")]);
    });

    it("reads a CR ending one chunk and an LF starting the next as one line ending", () => {
      expect(feedAll(["data: a\r", "\ndata: b\r", "\n\r", "\n"]).events).toEqual([message("a\nb")]);
      expect(feedAll(["data: a\r", "", "\n", "\r"]).events).toEqual([message("a")]);
    });

    it("reads a CR ending one chunk and a CR starting the next as two line endings", () => {
      expect(feedAll(["data: a\r", "\r"]).events).toEqual([message("a")]);
    });

    it("skips one byte order mark that arrives in a chunk of its own", () => {
      expect(feedAll(["", "\uFEFF", "data: a\n\n"]).events).toEqual([message("a")]);
      expect(feedAll(["\uFEFF", "\uFEFFdata: a\n\n"]).events).toEqual([]);
    });

    it("does not modify the state it is given", () => {
      const state: EventStreamState = Object.freeze(createEventStreamState());
      const step = feedEventStream(state, "id: 1\nevent: x\ndata: a\n\ndata: b");
      expect(state).toEqual(createEventStreamState());
      expect(step.state).not.toBe(state);
    });

    it("returns the same state for an empty chunk", () => {
      const state = createEventStreamState();
      expect(feedEventStream(state, "").state).toBe(state);
    });

    it("matches a line-by-line reading of the whole text however it is chunked", () => {
      fc.assert(
        fc.property(streamText, cutPoints, (text, positions) => {
          const reference = referenceParse(text);
          expect(parseEventStream(text)).toEqual(reference.events);
          const { events, state } = feedAll(cut(text, positions));
          expect(events).toEqual(reference.events);
          expect(state.lastEventId).toBe(reference.lastEventId);
          expect(state.retry).toBe(reference.retry);
        }),
        { numRuns: 500 },
      );
    });

    it("gives the same events fed one code unit at a time", () => {
      fc.assert(
        fc.property(streamText, (text) => {
          expect(feedAll(text.split("")).events).toEqual(parseEventStream(text));
        }),
      );
    });

    it("never throws on any text", () => {
      fc.assert(
        fc.property(fc.oneof(anyString(["\r", "\n", ":", "\uFEFF"]), streamText), (text) => {
          for (const event of parseEventStream(text)) {
            expect(event.type).not.toBe("");
          }
        }),
      );
    });
  });
});
