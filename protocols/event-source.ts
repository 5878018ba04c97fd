/**
 * The event-source codec: Server-Sent Events frames (`text/event-stream`, WHATWG HTML).
 *
 * A frame is one event block: optional `id:`, `event:` and `retry:` lines, one `data:` line per
 * line of the payload, and an empty line that makes the client dispatch it:
 *
 *     id: 42\nevent: chat\ndata: first line\ndata: second line\n\n
 *
 * Ids are not the codec's business. A codec is a plain value shared by every connection, so it
 * stays stateless: `encode` and `encodeEvent` build frames without an id, the broker encodes a
 * broadcast once, and the SSE transport adds each channel's id with `withId` (ids come from the
 * channel history: none, a per-channel counter, or a user function). The seed's event classes map
 * onto this codec and that transport option:
 *
 * | seed           | codec                         | transport ids       |
 * | -------------- | ----------------------------- | ------------------- |
 * | `StringEvent`  | `eventSource()`               | none                |
 * | `StringIdEvent`| `eventSource()`               | per-channel counter |
 * | `JSONEvent`    | `eventSource({ json: true })` | none                |
 * | `JSONIdEvent`  | `eventSource({ json: true })` | per-channel counter |
 *
 * Line breaks: a payload is split on CRLF, CR and LF, one `data:` line each. A client joins the
 * lines with LF, so it reads every CRLF or CR of the payload as LF: the event-stream format cannot
 * carry a CR in data (send JSON, `json: true`, when exact text matters: JSON escapes it). Event
 * names and ids cannot be split, so a CR or LF in one (or a NUL in an id, which clients ignore) is
 * refused with a `TypeError` instead of being written as a stream that means something else.
 *
 * Lone surrogates: the codec works on JS strings and writes them as they are; the UTF-8 transport
 * replaces them by U+FFFD, as for the other codecs.
 *
 * SSE is one-way: clients cannot send frames (POSTed bodies are read by the HTTP layer), so
 * `decode` always reports a `bad_frame` failure, and there are no acks.
 */
import { badFrame, type Codec } from "./codec.js";

/** How payloads become `data:` text. */
export interface EventSourceOptions {
  /**
   * `true`: every payload is sent as JSON text, strings included (`"hi"` is sent as `"hi"` with
   * its quotes, `undefined` as `null`), so a client can always `JSON.parse(event.data)`: the
   * seed's `JSONEvent`. `false` (default): a string is sent as is, anything else as JSON text.
   */
  readonly json?: boolean;
}

/** The fields of one event block. */
export interface EventFields {
  /** The event id (`lastEventId` on the client). No CR, LF or NUL; `""` resets the client's id. */
  readonly id?: string;
  /** The event type. Not empty, no CR or LF. Without it the client fires a `message` event. */
  readonly event?: string;
  /** The data; one `data:` line per line (CRLF, CR and LF all end a line). */
  readonly data: string;
  /** The reconnection time in milliseconds: a non-negative safe integer. */
  readonly retry?: number;
}

/** The event-source codec, with the payload conversion its options chose. */
export interface EventSourceCodec extends Codec {
  readonly name: "event-source";
  /** Whether every payload is sent as JSON text, strings included. */
  readonly json: boolean;
  /** The `data:` text of a payload under this codec's options (see `payloadText`). */
  payloadText(payload: unknown): string;
}

/** The empty line that ends a block: the client dispatches the event when it reads it. */
const BLOCK_END = "\n";
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Builds the event-source codec.
 *
 * `encode(payload)`: an object whose own `type` is a usable event name becomes that event. When
 * the object is exactly a JSON-codec frame (`{ type, data? }`, no other keys) its `data` is the
 * event's data, as `encodeEvent(type, data)` would send it; any other typed object (the seed's
 * `{ type: "msg", user, message }`) is sent whole as JSON under `event: <type>`. Everything else,
 * typed objects whose `type` cannot be an event name included, is sent with no `event:` line, so
 * clients fire `message`. Nothing is lost: the whole payload is in the data whenever it is not
 * the plain envelope.
 *
 * @param options - `json: true` sends every payload as JSON text (the seed's `JSONEvent`).
 * @throws TypeError when `options.json` is given and is not a boolean.
 * @example
 * const codec = eventSource();
 * codec.encode({ type: "chat", data: "hi\nthere" }); // "event: chat\ndata: hi\ndata: there\n\n"
 * codec.encode("plain");                             // "data: plain\n\n"
 * withId(codec.encodeEvent("tick", { n: 1 }), "7");  // 'id: 7\nevent: tick\ndata: {"n":1}\n\n'
 */
export function eventSource(options: EventSourceOptions = {}): EventSourceCodec {
  const json = options.json ?? false;
  if (typeof json !== "boolean") {
    throw new TypeError(`Invalid option: \`json\` must be a boolean, got ${typeof json}`);
  }
  const text = (payload: unknown): string => payloadText(payload, { json });

  return {
    name: "event-source",
    json,
    payloadText: text,

    decode() {
      return badFrame("Invalid frame: event-source clients cannot send frames");
    },

    encode(payload) {
      if (isObject(payload)) {
        const type = ownValue(payload, "type");
        if (typeof type === "string" && isEventName(type)) {
          const data = isEnvelope(payload) ? text(ownValue(payload, "data")) : text(payload);
          return formatEvent({ event: type, data });
        }
      }
      return formatEvent({ data: text(payload) });
    },

    encodeEvent(event, data) {
      return formatEvent({ event, data: text(data) });
    },

    encodeError(code, message) {
      // Browsers also fire `error` for connection failures; this one is a MessageEvent with data.
      return formatEvent({ event: "error", data: JSON.stringify({ code, message }) });
    },

    encodeAck() {
      // Clients cannot send frames, so there is never a request to answer.
      return undefined;
    },
  };
}

/**
 * The `data:` text of a payload: a string as is, anything else its JSON text (`""` when JSON has
 * none: `undefined`, functions, symbols). With `json: true` strings are JSON text too and a value
 * JSON has no text for is sent as `null`, so the data always parses.
 *
 * @throws TypeError for values `JSON.stringify` rejects (cycles, BigInt).
 * @example
 * payloadText({ a: 1 });              // '{"a":1}'
 * payloadText("hi", { json: true });  // '"hi"'
 */
export function payloadText(payload: unknown, options: EventSourceOptions = {}): string {
  if (options.json === true) return JSON.stringify(payload) ?? "null";
  return typeof payload === "string" ? payload : (JSON.stringify(payload) ?? "");
}

/**
 * The wire text of one event block, in the order `id`, `event`, `retry`, `data`, ended by the
 * empty line. Empty data still gives one `data:` line, so the client dispatches an event whose
 * data is `""` (a block without data is never dispatched).
 *
 * @throws TypeError for an empty event name, a CR or LF in the event name or id, a NUL in the
 *   id, or a retry that is not a non-negative safe integer.
 * @example
 * formatEvent({ id: "1", event: "chat", data: "a\r\nb" });
 * // "id: 1\nevent: chat\ndata: a\ndata: b\n\n"
 */
export function formatEvent(fields: EventFields): string {
  let frame = "";
  if (fields.id !== undefined) frame += idLine(fields.id);
  if (fields.event !== undefined) {
    assertEventName(fields.event);
    frame += `event: ${fields.event}\n`;
  }
  if (fields.retry !== undefined) frame += retryLine(fields.retry);
  for (const line of fields.data.split(LINE_BREAK)) frame += `data: ${line}\n`;
  return frame + BLOCK_END;
}

/**
 * Adds an id to a frame built by `encode`, `encodeEvent` or `formatEvent` without one: what the
 * transport does per channel after encoding a broadcast once.
 *
 * @throws TypeError when the id contains CR, LF or NUL, or the frame already starts with an id.
 * @example
 * withId("event: tick\ndata: 1\n\n", "5"); // "id: 5\nevent: tick\ndata: 1\n\n"
 */
export function withId(frame: string, id: string): string {
  // A second id line would be read after ours and win: refuse rather than send the wrong id.
  if (frame.startsWith("id:")) throw new TypeError("Invalid frame: it already has an id");
  return idLine(id) + frame;
}

/**
 * A comment block, which clients ignore: the keepalive `: keepalive\n\n`. Each line of `text`
 * becomes its own comment line, so no text can turn into a field.
 *
 * @example
 * formatComment("keepalive"); // ": keepalive\n\n"
 */
export function formatComment(text: string): string {
  let frame = "";
  for (const line of text.split(LINE_BREAK)) frame += `: ${line}\n`;
  return frame + BLOCK_END;
}

/**
 * A block that only sets the client's reconnection time: the first bytes of a stream.
 *
 * @throws TypeError when `ms` is not a non-negative safe integer.
 * @example
 * formatRetry(5000); // "retry: 5000\n\n"
 */
export function formatRetry(ms: number): string {
  return retryLine(ms) + BLOCK_END;
}

function idLine(id: string): string {
  if (/[\r\n\0]/.test(id)) {
    throw new TypeError("Invalid id: an event id cannot contain CR, LF or NUL");
  }
  return `id: ${id}\n`;
}

function retryLine(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new TypeError(`Invalid retry: expected a non-negative safe integer, got ${String(ms)}`);
  }
  return `retry: ${ms}\n`;
}

/** A non-empty name without CR or LF: the only names a client reads back unchanged. */
function isEventName(name: string): boolean {
  return name !== "" && !/[\r\n]/.test(name);
}

function assertEventName(name: string): void {
  // `event: ` with nothing after it makes clients fire `message`: refuse what we cannot mean.
  if (name === "") throw new TypeError("Invalid event: the event name is empty");
  if (!isEventName(name)) {
    throw new TypeError("Invalid event: an event name cannot contain CR or LF");
  }
}

/** Exactly a JSON-codec frame: own keys `type` and optionally `data`, nothing else. */
function isEnvelope(object: Record<string, unknown>): boolean {
  return Object.keys(object).every((key) => key === "type" || key === "data");
}

/** A non-null, non-array object. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads an own property only; inherited values (prototype pollution) count as absent. */
function ownValue(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
