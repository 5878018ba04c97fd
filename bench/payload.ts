/**
 * The broadcast frame: `seq:<n>:<sendTimeMs>:` padded with `x` to 64 bytes.
 *
 * It never starts with `#`, so the switchboard separator codec delivers it as
 * a plain `message` event and broadcasts the text unchanged. Receivers parse
 * it straight from the Buffer: one `toString()` per delivery would be a
 * measurable share of the load process's CPU at millions of deliveries.
 * Socket.IO hands its listeners strings, so there is a string twin.
 */

export const PAYLOAD_BYTES = 64;

const PREFIX = "seq:";
const COLON = 0x3a;
const DOT = 0x2e;
const ZERO = 0x30;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Builds the 64-byte text frame for broadcast `seq` sent at `stampMs`. */
export function encodePayload(seq: number, stampMs: number): string {
  const head = `${PREFIX}${seq}:${stampMs.toFixed(3)}:`;
  if (head.length > PAYLOAD_BYTES) throw new Error(`payload: header too long (${head.length})`);
  return head.padEnd(PAYLOAD_BYTES, "x");
}

/** Decoded fields of a frame; one object is reused so decoding does not allocate. */
export interface Decoded {
  seq: number;
  stampMs: number;
}

/**
 * Fills `out` from a received frame. Returns false for anything that is not a
 * benchmark frame (a broker may send its own frames, such as a greeting).
 */
export function decodePayload(frame: Buffer, out: Decoded): boolean {
  if (
    frame.length !== PAYLOAD_BYTES ||
    frame[0] !== 0x73 || // s
    frame[1] !== 0x65 || // e
    frame[2] !== 0x71 || // q
    frame[3] !== COLON
  ) {
    return false;
  }
  let i = PREFIX.length;
  let seq = 0;
  for (let c = frame[i]; c !== undefined && c !== COLON; c = frame[++i])
    seq = seq * 10 + (c - ZERO);
  i += 1;
  let whole = 0;
  for (let c = frame[i]; c !== undefined && c !== COLON && c !== DOT; c = frame[++i]) {
    whole = whole * 10 + (c - ZERO);
  }
  let fraction = 0;
  let scale = 1;
  if (frame[i] === DOT) {
    i += 1;
    for (let c = frame[i]; c !== undefined && c !== COLON; c = frame[++i]) {
      fraction = fraction * 10 + (c - ZERO);
      scale *= 10;
    }
  }
  if (frame[i] !== COLON) return false;
  out.seq = seq;
  out.stampMs = whole + fraction / scale;
  return true;
}

/** `decodePayload` for a frame that arrives as a string (Socket.IO event data). */
export function decodePayloadText(frame: string, out: Decoded): boolean {
  if (frame.length !== PAYLOAD_BYTES || !frame.startsWith(PREFIX)) return false;
  let i = PREFIX.length;
  let seq = 0;
  for (let c = frame.charCodeAt(i); c !== COLON && i < frame.length; c = frame.charCodeAt(++i))
    seq = seq * 10 + (c - ZERO);
  i += 1;
  let whole = 0;
  for (
    let c = frame.charCodeAt(i);
    c !== COLON && c !== DOT && i < frame.length;
    c = frame.charCodeAt(++i)
  ) {
    whole = whole * 10 + (c - ZERO);
  }
  let fraction = 0;
  let scale = 1;
  if (frame.charCodeAt(i) === DOT) {
    i += 1;
    for (let c = frame.charCodeAt(i); c !== COLON && i < frame.length; c = frame.charCodeAt(++i)) {
      fraction = fraction * 10 + (c - ZERO);
      scale *= 10;
    }
  }
  if (frame.charCodeAt(i) !== COLON) return false;
  out.seq = seq;
  out.stampMs = whole + fraction / scale;
  return true;
}
