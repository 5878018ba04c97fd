/**
 * An incremental framer for newline-delimited text (NDJSON): bytes in, complete lines out. Pure
 * apart from the state it keeps between chunks; no sockets, no timers.
 *
 * - A line ends at LF (`\n`); one CR right before the LF is stripped, so CRLF works too.
 * - Empty lines (keepalive newlines, a blank line typed into netcat) are skipped.
 * - A line may span any number of chunks and a chunk may hold any number of lines.
 * - UTF-8 is decoded per complete line, from its bytes. LF (0x0A) never occurs inside a
 *   multi-byte UTF-8 sequence, so splitting bytes on it is safe and a character split between
 *   two chunks decodes whole.
 * - Invalid UTF-8 is reported (`invalid: true`), never replaced with U+FFFD: silently altering a
 *   client's text is worse than refusing it, and WebSocket refuses it too (close code 1007).
 * - A line longer than `maxLine` bytes (CR/LF excluded) is reported (`overflow: true`) as soon
 *   as the bytes held exceed the limit, before its end arrives; at most `maxLine + 1` bytes of an
 *   unfinished line are ever held, copied out of the chunks they came in.
 * - Both failures are terminal: `lines` holds the good lines before the bad one, and every later
 *   `push` returns no lines and the same flags. The connection is closed anyway, and stopping
 *   keeps what a client sees (its lines up to the bad one, in order) simple.
 * - An unterminated last line is an incomplete frame: it is never yielded.
 */

import { isUtf8 } from "node:buffer";

const LF = 0x0a;
const CR = 0x0d;

export interface LineFramerOptions {
  /** The longest line accepted, in bytes, not counting its CR/LF. */
  readonly maxLine: number;
}

/** What one chunk completed. */
export interface LineFramerStep {
  /** Complete, non-empty lines, in order, decoded. */
  readonly lines: string[];
  /** A line exceeded `maxLine` bytes (terminal). */
  readonly overflow: boolean;
  /** A line was not valid UTF-8 (terminal). */
  readonly invalid: boolean;
}

export interface LineFramer {
  /** Feeds one chunk. Never throws; the chunk is neither modified nor kept. */
  push(chunk: Buffer): LineFramerStep;
}

/**
 * Builds a framer for one stream.
 *
 * @example
 * const framer = createLineFramer({ maxLine: 1024 });
 * framer.push(Buffer.from('{"type":"a"}\n{"ty')).lines; // ['{"type":"a"}']
 * framer.push(Buffer.from('pe":"b"}\r\n')).lines;       // ['{"type":"b"}']
 * framer.push(Buffer.from("x".repeat(2000))).overflow;  // true: close the connection
 */
export function createLineFramer({ maxLine }: LineFramerOptions): LineFramer {
  if (!Number.isSafeInteger(maxLine) || maxLine < 0) {
    throw new RangeError(`Invalid maxLine: ${maxLine} is not a non-negative integer`);
  }
  // The start of the current line: slices of earlier chunks, `held` bytes in all.
  let pending: Buffer[] = [];
  let held = 0;
  let overflow = false;
  let invalid = false;

  const step = (lines: string[]): LineFramerStep => ({ lines, overflow, invalid });

  return {
    push(chunk) {
      const lines: string[] = [];
      if (overflow || invalid) return step(lines);
      let start = 0;
      for (let end = chunk.indexOf(LF, start); end !== -1; end = chunk.indexOf(LF, start)) {
        const piece = chunk.subarray(start, end);
        start = end + 1;
        // Measure before joining, so a huge line is never copied.
        const total = held + piece.length;
        const lastByte = piece.length > 0 ? piece[piece.length - 1] : pending.at(-1)?.at(-1);
        const length = lastByte === CR ? total - 1 : total;
        const before = pending;
        pending = [];
        held = 0;
        if (length > maxLine) {
          overflow = true;
          return step(lines);
        }
        if (length === 0) continue;
        const bytes = before.length === 0 ? piece : Buffer.concat([...before, piece], total);
        const line = bytes.subarray(0, length);
        if (!isUtf8(line)) {
          invalid = true;
          return step(lines);
        }
        lines.push(line.toString("utf8"));
      }
      const rest = chunk.subarray(start);
      if (rest.length > 0) {
        // A copy: a slice would keep the socket's whole chunk (up to 64 KiB) alive for as long
        // as the line stays unfinished, per idle connection.
        pending.push(Buffer.from(rest));
        held += rest.length;
        // `maxLine + 1` bytes fit when the last is a CR that may yet be followed by LF.
        if (held > maxLine + 1 || (held === maxLine + 1 && rest[rest.length - 1] !== CR)) {
          overflow = true;
          pending = [];
          held = 0;
        }
      }
      return step(lines);
    },
  };
}
