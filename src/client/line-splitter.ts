/**
 * Newline-delimited text in, complete lines out: the framing of the TCP transport. Pure apart
 * from the unfinished line it keeps between chunks. Chunks are strings (the socket decodes
 * UTF-8 with a streaming decoder, so a character split between packets arrives whole).
 *
 * - A line ends at LF; one CR before it is dropped (CRLF works). Empty lines are skipped.
 * - An unfinished line is held until its LF arrives; past `maxLine` characters it is an
 *   overflow (terminal: the connection should be dropped).
 */

export interface LineSplitter {
  /** Feeds one chunk; returns the lines it completed, or `overflow` once the limit is passed. */
  push(chunk: string): { readonly lines: string[]; readonly overflow: boolean };
}

/**
 * @example
 * const splitter = createLineSplitter(1024);
 * splitter.push('{"type":"a"}\n{"ty'); // { lines: ['{"type":"a"}'], overflow: false }
 * splitter.push('pe":"b"}\r\n'); // { lines: ['{"type":"b"}'], overflow: false }
 */
export function createLineSplitter(maxLine: number): LineSplitter {
  let pending = "";
  let overflow = false;
  return {
    push(chunk) {
      const lines: string[] = [];
      if (overflow) return { lines, overflow };
      let text = pending + chunk;
      let start = 0;
      // Only the new chunk can hold the next LF: the pending part was searched before.
      for (
        let end = text.indexOf("\n", pending.length);
        end !== -1;
        end = text.indexOf("\n", start)
      ) {
        const line =
          text.charCodeAt(end - 1) === 0x0d && end > start
            ? text.slice(start, end - 1)
            : text.slice(start, end);
        start = end + 1;
        if (line.length > maxLine) {
          overflow = true;
          pending = "";
          return { lines, overflow };
        }
        if (line !== "") lines.push(line);
      }
      text = text.slice(start);
      // One more character may be the CR of a CRLF.
      if (text.length > maxLine + 1) {
        overflow = true;
        text = "";
      }
      pending = text;
      return { lines, overflow };
    },
  };
}
