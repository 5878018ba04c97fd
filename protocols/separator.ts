/**
 * The separator codec: `#event|field|field` text frames, the seed's native protocol.
 *
 * A frame starting with `#` is an event: its first field is the event name (with the `#`), the
 * rest are its data. Any other frame is a plain `message` whose data is the whole text, untouched,
 * so chat clients that never learned the `#` convention keep working.
 *
 * Escaping: `\<sep>` stands for a literal separator and `\\` for a literal backslash, in the
 * event name as well as in fields. A backslash before anything else (or at the very end) is kept
 * as typed, so hand-written frames such as `#path|C:\tmp` mean what they look like.
 *
 * Lone surrogates: the codec works on JS strings and round-trips any of them, lone surrogates
 * included, because it only ever looks at the separator and backslash code units. The UTF-8
 * transport is what later replaces lone surrogates by U+FFFD; that is documented there.
 */
import { badFrame, type Codec, decoded } from "./codec.js";

const BACKSLASH = "\\";
const EVENT_PREFIX = "#";

/**
 * Builds a separator codec.
 *
 * @param sep - One UTF-16 code unit that is not a backslash (the escape), not `#` (the event
 *   prefix) and not half of a surrogate pair (it would split astral characters). Checked here,
 *   eagerly, so a bad configuration fails at startup rather than on the first frame.
 * @throws TypeError when `sep` is not such a character.
 * @example
 * const codec = separator(",");
 * codec.decode("#chat,hello,world");
 * // { ok: true, message: { event: "#chat", data: ["hello", "world"] } }
 * codec.encodeEvent("chat", ["a,b"]); // "#chat,a\\,b"
 */
export function separator(sep = "|"): Codec {
  assertSeparator(sep);

  /** One pass over the text, so a backslash this adds is never itself escaped again. */
  const escapeField = (text: string): string => {
    let out = "";
    for (const char of text) {
      out += char === BACKSLASH || char === sep ? BACKSLASH + char : char;
    }
    return out;
  };

  /** Splits on unescaped separators and unescapes `\<sep>` and `\\`; other backslashes stay. */
  const splitFields = (frame: string): string[] => {
    const fields: string[] = [];
    let field = "";
    for (let i = 0; i < frame.length; i++) {
      const unit = frame[i];
      if (unit === BACKSLASH) {
        const next = frame[i + 1];
        if (next === BACKSLASH || next === sep) {
          field += next;
          i++;
        } else {
          // Not an escape we know (or a trailing backslash): keep it; `next` is read normally.
          field += BACKSLASH;
        }
      } else if (unit === sep) {
        fields.push(field);
        field = "";
      } else {
        field += unit;
      }
    }
    fields.push(field);
    return fields;
  };

  const encodeFields = (event: string, fields: readonly unknown[]): string => {
    const name = event.startsWith(EVENT_PREFIX) ? event : EVENT_PREFIX + event;
    // An empty name would encode to `#`, which decode rejects: refuse to write what we cannot read.
    if (name === EVENT_PREFIX) throw new TypeError("Invalid event: the event name is empty");
    let frame = escapeField(name);
    for (const field of fields) frame += sep + escapeField(fieldText(field));
    return frame;
  };

  return {
    name: "separator",

    decode(frame) {
      if (!frame.startsWith(EVENT_PREFIX)) return decoded({ event: "message", data: frame });
      const [event = "", ...data] = splitFields(frame);
      if (event === EVENT_PREFIX) return badFrame("Invalid frame: empty event name after '#'");
      return decoded({ event, data });
    },

    encode(payload) {
      // JSON.stringify returns undefined for `undefined`, functions and symbols: send "" then,
      // an empty frame, rather than the text "undefined" that no client could parse.
      return typeof payload === "string" ? payload : (JSON.stringify(payload) ?? "");
    },

    encodeEvent(event, data) {
      if (data === undefined) return encodeFields(event, []);
      return encodeFields(event, Array.isArray(data) ? data : [data]);
    },

    encodeError(code, message) {
      return encodeFields("#error", [code, message]);
    },

    encodeAck() {
      // The separator protocol has no request ids, so there is nothing to answer.
      return undefined;
    },
  };
}

/** One field's text: a string as is, anything else its JSON text ("" when JSON has none). */
function fieldText(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "");
}

/** Rejects, at construction, any separator the escaping scheme could not express. */
function assertSeparator(sep: unknown): asserts sep is string {
  if (typeof sep !== "string" || sep.length !== 1) {
    const got = typeof sep === "string" ? JSON.stringify(sep) : typeof sep;
    throw new TypeError(`Invalid separator: expected one character, got ${got}`);
  }
  if (sep === BACKSLASH || sep === EVENT_PREFIX) {
    throw new TypeError(`Invalid separator: ${JSON.stringify(sep)} is reserved`);
  }
  const code = sep.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) {
    throw new TypeError("Invalid separator: a surrogate code unit would split characters");
  }
}
