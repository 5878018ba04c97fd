/** Parses and checks the URL given to `connect()`. */

/**
 * `ws:`/`wss:` as given; `tcp:` with a port, in Node only; a relative URL (`/ws`) against the
 * page's location in a browser, with `http(s):` turned into `ws(s):`.
 *
 * @throws TypeError for anything else.
 * @example
 * resolveUrl("tcp://127.0.0.1:8898").port; // "8898"
 */
export function resolveUrl(url: string): URL {
  const location: unknown = Reflect.get(globalThis, "location");
  const base =
    typeof location === "object" && location !== null ? Reflect.get(location, "href") : undefined;
  let target: URL;
  try {
    target = new URL(url, typeof base === "string" ? base : undefined);
  } catch {
    throw new TypeError(`Invalid URL: ${JSON.stringify(url)}`);
  }
  if (target.protocol === "http:") target.protocol = "ws:";
  if (target.protocol === "https:") target.protocol = "wss:";
  if (target.protocol === "ws:" || target.protocol === "wss:") return target;
  if (target.protocol !== "tcp:") {
    throw new TypeError(`Invalid URL: ${target.protocol} is not ws:, wss: or tcp:`);
  }
  if (!isNode()) throw new TypeError("Invalid URL: tcp:// needs Node.js");
  if (target.port === "") throw new TypeError(`Invalid URL: ${url} has no port`);
  return target;
}

/** True in Node.js (read without naming `process`, which browsers do not have). */
export function isNode(): boolean {
  const process: unknown = Reflect.get(globalThis, "process");
  if (typeof process !== "object" || process === null) return false;
  const versions: unknown = Reflect.get(process, "versions");
  return typeof versions === "object" && versions !== null && "node" in versions;
}
