import type { InboundMessage } from "../protocols/codec.js";

/**
 * The frame that carries a token when there is no HTTP request to carry it: a TCP client's first
 * frame, and any client's re-authentication after `auth_expired`. JSON codec (and TCP):
 * `{"type":"auth","data":{"token":"…"}}`; separator codec: `#auth|<token>`. Only when the broker
 * has `authenticate` does it treat these frames as its own; otherwise they are ordinary events.
 */
export const AUTH_EVENTS: ReadonlySet<string> = new Set(["auth", "#auth"]);

/** The longest token looked at; anything longer is refused without calling `authenticate`. */
export const MAX_TOKEN_LENGTH = 8 * 1024;

/** The token an auth frame carries, or undefined when it carries none (or one too long). */
export function authTokenOf(message: InboundMessage): string | undefined {
  const { data } = message;
  let token: unknown = data;
  if (Array.isArray(data)) token = data[0];
  else if (typeof data === "object" && data !== null) token = (data as { token?: unknown }).token;
  return typeof token === "string" && token.length > 0 && token.length <= MAX_TOKEN_LENGTH
    ? token
    : undefined;
}

/**
 * The nonce a renewal frame may carry (`{"token":…,"nonce":…}`, `#auth|<token>|<nonce>`): the
 * broker echoes it in its `{ok:true}` answer, so a client can tell that answer from an
 * application event that happens to be named `auth`.
 */
export function authNonceOf(message: InboundMessage): string | undefined {
  const { data } = message;
  let nonce: unknown;
  if (Array.isArray(data)) nonce = data[1];
  else if (typeof data === "object" && data !== null) nonce = (data as { nonce?: unknown }).nonce;
  return typeof nonce === "string" && nonce.length > 0 && nonce.length <= 64 ? nonce : undefined;
}

export function isAuthFrame(message: InboundMessage): boolean {
  return AUTH_EVENTS.has(message.event);
}
