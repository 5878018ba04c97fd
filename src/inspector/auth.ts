import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** The token a request carries: `Authorization: Bearer <token>`, else `?token=<token>`. */
export function requestToken(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers.authorization;
  const bearer = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer?.[1] !== undefined) return bearer[1];
  return url.searchParams.get("token") ?? undefined;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Whether a request may see the inspector: always when no token is configured, otherwise only
 * with the same token (compared in constant time, whatever the lengths).
 */
export function isAuthorized(
  request: IncomingMessage,
  url: URL,
  token: string | undefined,
): boolean {
  if (token === undefined) return true;
  const given = requestToken(request, url);
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/**
 * Whether a request names the broker by an address DNS rebinding cannot produce: an IP literal
 * or `localhost` in its `Host` header. A page on an attacker's site that rebinds its own name
 * to 127.0.0.1 still sends that name as the Host, so a token-less inspector refuses it.
 */
export function addressedByIp(request: IncomingMessage): boolean {
  const host = request.headers.host;
  if (host === undefined) return true;
  // `[::1]:8899` -> `::1`; `127.0.0.1:8899` -> `127.0.0.1`; `localhost:8899` -> `localhost`.
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d*$/, "");
  return name.toLowerCase() === "localhost" || isIP(name) !== 0;
}

/**
 * Whether a request comes from this machine: its peer is a loopback address (127.0.0.0/8, ::1,
 * or either as an IPv4-mapped IPv6 address). A token-less inspector answers only these, as
 * Redis's protected mode does without a password: binding `0.0.0.0` must not publish every
 * connection's address, rooms and events to the network.
 */
export function fromLoopback(remoteAddress: string | undefined): boolean {
  if (remoteAddress === undefined) return false;
  const address = remoteAddress.startsWith("::ffff:") ? remoteAddress.slice(7) : remoteAddress;
  return address === "::1" || (isIP(address) === 4 && address.startsWith("127."));
}
