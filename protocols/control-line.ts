/**
 * TCP's control lines (`{"type":"ping"}`, `{"type":"pong"}`, the server's last
 * `{"type":"close","data":{…}}`) as both ends read them. Pure: no I/O.
 */

/** A line read as a JSON object with a `type` (an own property), and its `data` if any. */
export interface TypedLine {
  readonly type: unknown;
  readonly data?: unknown;
}

/**
 * The line as a typed JSON object when it mentions one of `names` (quoted); undefined otherwise.
 * The cheap text check comes first, so only lines that may be control lines are parsed here as
 * well as by the codec.
 *
 * @example
 * typedLine('{"type":"ping"}', ["ping", "pong"]); // { type: "ping" }
 */
export function typedLine(line: string, names: readonly string[]): TypedLine | undefined {
  if (!names.some((name) => line.includes(`"${name}"`))) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, "type")) {
    return undefined;
  }
  return value as TypedLine;
}
