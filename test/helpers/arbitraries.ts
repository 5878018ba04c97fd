/**
 * fast-check arbitraries shared by the codec, parser, line-framer and fuzz tests, so that "any
 * string" means the same thing everywhere: every UTF-16 code unit, lone surrogates included
 * (fast-check's own `binary` unit never makes them), weighted towards the characters the code
 * under test treats specially. Plus the one helper every chunking property needs: cutting a
 * text or a byte stream at arbitrary points.
 */
import fc from "fast-check";

/** One lone surrogate code unit (U+D800..U+DFFF), which well-formed generators never produce. */
export const loneSurrogate: fc.Arbitrary<string> = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((code) => String.fromCharCode(code));

/**
 * Any single UTF-16 code unit, or any code point (astral ones as a surrogate pair), with
 * `special` strings mixed in at weight 2 against 1 for surrogates and 3 for the rest. A
 * `special` entry may be longer than one unit (e.g. `"\r\n"`).
 */
export function codeUnit(special: readonly string[] = []): fc.Arbitrary<string> {
  const any = { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), weight: 3 };
  const lone = { arbitrary: loneSurrogate, weight: 1 };
  if (special.length === 0) return fc.oneof(lone, any);
  return fc.oneof({ arbitrary: fc.constantFrom(...special), weight: 2 }, lone, any);
}

/** Text made of `codeUnit(special)`: well-formed or not, heavy on the special characters. */
export function textOf(
  special: readonly string[] = [],
  constraints: { minLength?: number; maxLength?: number } = {},
): fc.Arbitrary<string> {
  return fc.string({ unit: codeUnit(special), ...constraints });
}

/**
 * Any JS string: fast-check's printable strings, its full-Unicode strings and `textOf(special)`
 * in equal parts, so shrinking can land on a readable counterexample.
 */
export function anyString(special: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(fc.string(), fc.string({ unit: "binary" }), textOf(special));
}

/** Any JSON value whose strings (keys included) may hold any code unit, lone surrogates too. */
export function anyJson(special: readonly string[] = []): fc.Arbitrary<unknown> {
  return fc.jsonValue({ stringUnit: codeUnit(special) });
}

/**
 * JSON text has no -0 (it is written as 0), so that is the one change a trip through
 * `JSON.stringify`/`JSON.parse` makes to a value `anyJson()` generated: the expected value of
 * such a round trip.
 */
export function positiveZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(positiveZero);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, positiveZero(v)]));
  }
  return value;
}

/** Bytes that are mostly not UTF-8, with LF, CR and multi-byte lead and continuation bytes. */
export const anyBytes: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      { arbitrary: fc.constantFrom(0x0a, 0x0d, 0xc3, 0xa9, 0xed, 0xa0, 0xf0, 0x9f), weight: 1 },
      { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 3 },
    ),
    { maxLength: 200 },
  )
  .map((bytes) => Uint8Array.from(bytes));

/** Where to cut a value into chunks: any numbers, read modulo the value's length by `cut`. */
export const cutPoints: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 30 });

/**
 * Cuts a text or a buffer at `points` (taken modulo its length + 1, sorted, deduplicated) into
 * consecutive chunks whose concatenation is the whole; empty chunks occur only at the ends.
 */
export function cut<T extends string | Buffer>(value: T, points: readonly number[]): T[] {
  const at = [...new Set(points.map((point) => point % (value.length + 1)))].sort((a, b) => a - b);
  const chunks: T[] = [];
  let start = 0;
  for (const end of [...at, value.length]) {
    const chunk = typeof value === "string" ? value.slice(start, end) : value.subarray(start, end);
    chunks.push(chunk as T);
    start = end;
  }
  return chunks;
}
