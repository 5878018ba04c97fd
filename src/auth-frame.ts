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
/** The longest nonce echoed. */
const MAX_NONCE_LENGTH = 64;

/**
 * One string field of an auth frame: by name in an object (`{"token":…,"nonce":…}`), by position
 * in the separator codec's fields (`#auth|<token>|<nonce>`); undefined when absent, empty or
 * longer than `max`.
 */
function fieldOf(
  message: InboundMessage,
  name: "token" | "nonce",
  position: number,
  max: number,
): string | undefined {
  const { data } = message;
  let value: unknown;
  if (Array.isArray(data)) value = data[position];
  else if (typeof data === "object" && data !== null) value = Reflect.get(data, name);
  // `{"type":"auth","data":"<token>"}` carries the token alone.
  else if (name === "token") value = data;
  return typeof value === "string" && value.length > 0 && value.length <= max ? value : undefined;
}

/** The token an auth frame carries, or undefined when it carries none (or one too long). */
export const authTokenOf = (message: InboundMessage): string | undefined =>
  fieldOf(message, "token", 0, MAX_TOKEN_LENGTH);

/**
 * The nonce a renewal frame may carry: the broker echoes it in its `{ok:true}` answer, so a
 * client can tell that answer from an application event that happens to be named `auth`.
 */
export const authNonceOf = (message: InboundMessage): string | undefined =>
  fieldOf(message, "nonce", 1, MAX_NONCE_LENGTH);

export function isAuthFrame(message: InboundMessage): boolean {
  return AUTH_EVENTS.has(message.event);
}
