/**
 * Hand-built WebSocket frames (RFC 6455 §5.2) for fuzzing a server below any client library:
 * any FIN/RSV bits, any opcode, masked or not, and a length field that may tell the truth, lie
 * either way, claim more than 2^53 bytes or use a wider encoding than needed.
 */
import fc from "fast-check";
import { anyString } from "../helpers/arbitraries.js";

/** What the length field says, relative to the payload actually written after it. */
export type DeclaredLength =
  | { readonly kind: "exact" }
  /** More than is sent: the server waits for bytes that never come. */
  | { readonly kind: "more"; readonly by: number }
  /** Less than is sent: the rest is read as the next frame's header. */
  | { readonly kind: "less"; readonly by: number }
  /** A 64-bit length (possibly with the top bit set, which RFC 6455 forbids). */
  | { readonly kind: "huge"; readonly value: bigint };

export interface RawFrame {
  readonly fin: boolean;
  /** RSV1..RSV3 as a 3-bit number; non-zero without a negotiated extension is a violation. */
  readonly rsv: number;
  /** 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong; the rest are reserved. */
  readonly opcode: number;
  /** Clients must mask; an unmasked client frame is a violation. */
  readonly masked: boolean;
  readonly mask: Uint8Array;
  readonly payload: Uint8Array;
  readonly declared: DeclaredLength;
  /** How the length is written: the shortest form, or forced to 16 or 64 bits. */
  readonly width: "minimal" | 16 | 64;
}

function declaredLength(frame: RawFrame): bigint {
  const actual = frame.payload.length;
  switch (frame.declared.kind) {
    case "exact":
      return BigInt(actual);
    case "more":
      return BigInt(actual + frame.declared.by);
    case "less":
      return BigInt(Math.max(0, actual - frame.declared.by));
    case "huge":
      return frame.declared.value;
  }
}

/** The frame's bytes on the wire. */
export function encodeFrame(frame: RawFrame): Buffer {
  const length = declaredLength(frame);
  const first = (frame.fin ? 0x80 : 0) | ((frame.rsv & 0x7) << 4) | (frame.opcode & 0x0f);
  const maskBit = frame.masked ? 0x80 : 0;
  let header: Buffer;
  const width =
    frame.width === "minimal" ? (length < 126n ? 7 : length < 65_536n ? 16 : 64) : frame.width;
  if (width === 7) {
    header = Buffer.from([first, maskBit | Number(length)]);
  } else if (width === 16 && length < 65_536n) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt.asUintN(64, length), 2);
  }
  if (!frame.masked) return Buffer.concat([header, frame.payload]);
  const body = Buffer.from(frame.payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (frame.mask[i % 4] ?? 0);
  return Buffer.concat([header, Buffer.from(frame.mask), body]);
}

/** A close frame's payload: a 2-byte code (valid or not) and a reason (UTF-8 or not). */
const closePayload = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(1000, 1001, 1002, 1005, 1006, 1007, 1008, 1011, 1015, 3000, 4999, 5000),
      fc.integer({ min: 0, max: 0xffff }),
    ),
    fc.oneof(
      anyString().map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 130 }),
    ),
  )
  .map(([code, reason]) => {
    const bytes = Buffer.alloc(2 + reason.length);
    bytes.writeUInt16BE(code, 0);
    bytes.set(reason, 2);
    return new Uint8Array(bytes);
  });

/** Text the broker's codecs will actually read: JSON and separator frames, and any string. */
export const textPayload: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    anyString(["|", "#", "{", "}", '"']),
    fc.json().map((text) => `{"type":"echo","data":${text}}`),
    fc.constantFrom(
      '{"type":"boom"}',
      "#boom|x",
      "#echo|a|b",
      '{"type":"__proto__"}',
      '{"type":"join","data":"a"}',
      "#join|b",
      '{"type":"leave","data":"a"}',
      '{"type":"echo","id":7,"data":[1,2]}',
      '{"type":"quit"}',
      "#quit",
      '{"type":"later","id":3,"data":"x"}',
      "#later|y",
    ),
    fc
      .tuple(fc.constantFrom("join", "leave", "later"), anyString(), fc.option(fc.nat()))
      .map(([event, room, id]) =>
        JSON.stringify(id === null ? { type: event, data: room } : { type: event, data: room, id }),
      ),
  )
  .map((text) => new Uint8Array(Buffer.from(text)));

const payload = fc.oneof(
  { arbitrary: textPayload, weight: 3 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 2 },
  { arbitrary: closePayload, weight: 1 },
  // Over the fuzz broker's small maxPayload, so the 1009 path runs too.
  { arbitrary: fc.integer({ min: 4_000, max: 9_000 }).map((n) => new Uint8Array(n)), weight: 1 },
);

/** Any frame, weighted towards ones a server gets some way into before refusing. */
export const rawFrame: fc.Arbitrary<RawFrame> = fc.record({
  fin: fc.oneof(
    { arbitrary: fc.constant(true), weight: 4 },
    { arbitrary: fc.boolean(), weight: 1 },
  ),
  rsv: fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, fc.integer({ min: 0, max: 7 })),
  opcode: fc.oneof(
    { arbitrary: fc.constantFrom(0, 1, 2, 8, 9, 10), weight: 5 },
    { arbitrary: fc.integer({ min: 0, max: 15 }), weight: 1 },
  ),
  masked: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, fc.boolean()),
  mask: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  payload,
  declared: fc.oneof(
    { arbitrary: fc.constant({ kind: "exact" as const }), weight: 6 },
    fc.record({ kind: fc.constant("more" as const), by: fc.integer({ min: 1, max: 70_000 }) }),
    fc.record({ kind: fc.constant("less" as const), by: fc.integer({ min: 1, max: 20 }) }),
    fc.record({
      kind: fc.constant("huge" as const),
      value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    }),
  ),
  width: fc.oneof(
    { arbitrary: fc.constant("minimal" as const), weight: 6 },
    fc.constantFrom(16 as const, 64 as const),
  ),
});
