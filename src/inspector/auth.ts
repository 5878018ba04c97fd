import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

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
