/**
 * A pure parser for `text/event-stream`, following the WHATWG HTML "interpret an event stream"
 * algorithm (https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream)
 * on already-decoded text (UTF-8 decoding, and its U+FFFD replacements, belong to the caller).
 *
 * - One leading U+FEFF (BOM) at the very start of the stream is ignored.
 * - Lines end with CRLF, LF or CR. An empty line dispatches the event; a line starting with `:`
 *   is a comment; otherwise the field name is what precedes the first `:` (the whole line when
 *   there is none, with an empty value) and one leading space of the value is dropped.
 * - `event` sets the event type, `data` appends its value and an LF to the data buffer, `id`
 *   sets the last event ID unless the value contains U+0000, `retry` sets the reconnection time
 *   when the value is only ASCII digits; other fields are ignored.
 * - On dispatch the last event ID string takes the id buffer's value (ids persist across events
 *   until the stream changes them). An empty data buffer dispatches nothing; otherwise one final
 *   LF is stripped and the event's type is the event type buffer, or `message` when it is empty.
 * - Text after the last empty line is an incomplete event: it waits for more input, and is
 *   dropped when the stream ends.
 *
 * The incremental shape is a pure step function: `feedEventStream(state, chunk)` returns the
 * next state and the events the chunk completed, so a client can feed network chunks as they
 * come (a CR at the end of one chunk and an LF at the start of the next are one line ending).
 */

/** One dispatched event, with the fields of the `MessageEvent` a browser would fire. */
export interface ParsedEvent {
  /** The event type: the last `event` field of the block, or `message`. */
  readonly type: string;
  /** The `data` lines of the block joined with LF. */
  readonly data: string;
  /** The last event ID string at dispatch (it persists across events; `""` until one is set). */
  readonly lastEventId: string;
}

/** Everything the parser carries between chunks. Treat it as opaque apart from the documented fields. */
export interface EventStreamState {
  /** The last event ID string: what a reconnecting client sends as `Last-Event-ID`. */
  readonly lastEventId: string;
  /** The reconnection time from the newest valid `retry` field, if any. */
  readonly retry: number | undefined;
  /** The unterminated start of the current line. */
  readonly pending: string;
  /** The previous chunk ended with CR, so an LF starting this one ends no line. */
  readonly afterCR: boolean;
  /** Whether any text has been seen, i.e. whether a BOM can still be skipped. */
  readonly started: boolean;
  readonly dataBuffer: string;
  readonly eventTypeBuffer: string;
  readonly idBuffer: string;
}

/** Where a stream starts from; a reconnecting client passes what it kept from the last one. */
export interface EventStreamOptions {
  /** The last event ID string a previous stream left (browsers keep it across reconnects). */
  readonly lastEventId?: string;
  /** The reconnection time a previous stream set. */
  readonly retry?: number;
}

/** The result of one step: the next state and the events completed by the chunk, in order. */
export interface EventStreamStep {
  readonly state: EventStreamState;
  readonly events: ParsedEvent[];
}

const DIGITS = /^[0-9]+$/;
const BOM = "\uFEFF";
const LF = "\n";
const CR = "\r";

/**
 * The state of a stream before its first byte.
 *
 * @example
 * const state = createEventStreamState({ lastEventId: "7" });
 */
export function createEventStreamState(options: EventStreamOptions = {}): EventStreamState {
  const lastEventId = options.lastEventId ?? "";
  return {
    lastEventId,
    retry: options.retry,
    pending: "",
    afterCR: false,
    started: false,
    dataBuffer: "",
    eventTypeBuffer: "",
    idBuffer: lastEventId,
  };
}

/**
 * Feeds one chunk of stream text; returns the next state and the events the chunk completed.
 * Pure: `state` is not modified.
 *
 * @example
 * let state = createEventStreamState();
 * const step = feedEventStream(state, "data: hel");
 * const next = feedEventStream(step.state, "lo\n\n");
 * next.events; // [{ type: "message", data: "hello", lastEventId: "" }]
 */
export function feedEventStream(state: EventStreamState, chunk: string): EventStreamStep {
  if (chunk === "") return { state, events: [] };
  const events: ParsedEvent[] = [];
  let { lastEventId, retry, dataBuffer, eventTypeBuffer, idBuffer } = state;

  const text = state.pending + chunk;
  let start = 0;
  if (!state.started && text.startsWith(BOM)) start = 1;
  // Only possible when `pending` is empty: the CR that ended the last chunk ended its line.
  if (state.afterCR && text[start] === LF) start += 1;

  const processLine = (line: string): void => {
    if (line === "") {
      // Dispatch. The last event ID string is updated even when nothing is dispatched.
      lastEventId = idBuffer;
      if (dataBuffer !== "") {
        const data = dataBuffer.endsWith(LF) ? dataBuffer.slice(0, -1) : dataBuffer;
        events.push({
          type: eventTypeBuffer === "" ? "message" : eventTypeBuffer,
          data,
          lastEventId,
        });
      }
      dataBuffer = "";
      eventTypeBuffer = "";
      return;
    }
    const colon = line.indexOf(":");
    if (colon === 0) return; // a comment
    let name = line;
    let value = "";
    if (colon > 0) {
      name = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
    }
    switch (name) {
      case "event":
        eventTypeBuffer = value;
        break;
      case "data":
        dataBuffer += value + LF;
        break;
      case "id":
        if (!value.includes("\0")) idBuffer = value;
        break;
      case "retry":
        if (DIGITS.test(value)) retry = Number.parseInt(value, 10);
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  };

  let afterCR = false;
  const lineEnd = /[\r\n]/g;
  // `pending` holds no line ending, so the search starts after it: a long line fed in many
  // small chunks is scanned once, not once per chunk.
  lineEnd.lastIndex = Math.max(start, state.pending.length);
  for (let match = lineEnd.exec(text); match; match = lineEnd.exec(text)) {
    const end = match.index;
    processLine(text.slice(start, end));
    start = end + 1;
    if (match[0] === CR) {
      if (start === text.length) afterCR = true;
      else if (text[start] === LF) start += 1;
    }
    lineEnd.lastIndex = start;
  }
  return {
    state: {
      lastEventId,
      retry,
      pending: text.slice(start),
      afterCR,
      started: true,
      dataBuffer,
      eventTypeBuffer,
      idBuffer,
    },
    events,
  };
}

/**
 * Parses a whole stream: every dispatched event, in order. An unterminated last event (no empty
 * line after it) is dropped, as when a stream ends. Use `feedEventStream` to also read `retry`
 * and the final last event ID, or to parse chunk by chunk.
 *
 * @example
 * parseEventStream("id: 1\nevent: chat\ndata: a\ndata: b\n\n");
 * // [{ type: "chat", data: "a\nb", lastEventId: "1" }]
 */
export function parseEventStream(text: string, options?: EventStreamOptions): ParsedEvent[] {
  return feedEventStream(createEventStreamState(options), text).events;
}
