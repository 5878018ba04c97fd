/**
 * The client's credentials: where a token comes from (the `token` option), the frames that carry
 * it when no HTTP header can (TCP's first line, any renewal after `auth_expired`), how the
 * broker's answers to those frames read, and which failed attempts are worth retrying.
 *
 * The broker never accepts a token in a URL by default, so the client never puts one there: in
 * Node a WebSocket upgrade carries `Authorization: Bearer <token>`; a browser's WebSocket cannot
 * carry headers, so there a same-site HttpOnly cookie authenticates the upgrade and the token
 * only serves renewal frames.
 */
import { ClientError, ClientErrorCode } from "./errors.js";
import type { FrameCodec, InboundFrame } from "./frames.js";

/** A token, or a function called for one on every connect and every renewal (to refresh it). */
export type TokenOption = string | (() => string | Promise<string>);

/** The broker's limit: a longer token is refused without reaching `authenticate`. */
const MAX_TOKEN_LENGTH = 8 * 1024;
/** Visible ASCII: what an `Authorization` header can carry (RFC 6750 tokens are a subset). */
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;

/** Error frame codes that refuse credentials: the same token would be refused again. */
const REFUSAL_CODES: ReadonlySet<string> = new Set([
  ClientErrorCode.UNAUTHORIZED,
  ClientErrorCode.FORBIDDEN,
]);

/** Why `token` cannot be sent, or undefined when it can. */
function tokenProblem(token: unknown): string | undefined {
  if (typeof token !== "string") return `expected a string, got ${typeof token}`;
  if (token.length === 0) return "the token is empty";
  if (token.length > MAX_TOKEN_LENGTH) return `longer than ${MAX_TOKEN_LENGTH} characters`;
  if (!TOKEN_CHARACTERS.test(token)) {
    return "only visible ASCII characters (no spaces, no line breaks) fit in a header";
  }
  return undefined;
}

/** Rejects a bad `token` option at `connect()`, so a typo fails at once, not on a reconnect. */
export function assertTokenOption(token: unknown): void {
  if (token === undefined || typeof token === "function") return;
  const problem = tokenProblem(token);
  if (problem) throw new TypeError(`Invalid token: ${problem}`);
}

/** How the broker answered an auth frame, if the frame is such an answer. */
export type AuthAnswer =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * Reads a frame as the answer to an auth frame: `{"type":"auth","data":{"ok":true}}` (separator:
 * `#auth|{"ok":true}`) accepts; an `unauthorized`/`forbidden` error frame refuses (TCP's first
 * line can also be refused `internal` or `too_many_connections`, so `anyError` takes any code).
 */
export function readAuthAnswer(
  frame: InboundFrame,
  anyError = false,
  nonce?: string,
): AuthAnswer | undefined {
  if (frame.kind === "error") {
    if (!anyError && !REFUSAL_CODES.has(frame.code)) return undefined;
    return { ok: false, code: frame.code, message: frame.message };
  }
  if (frame.kind !== "event") return undefined;
  if (frame.type === "auth") return isOk(frame.data, nonce) ? { ok: true } : undefined;
  if (frame.type !== "#auth" || !Array.isArray(frame.data)) return undefined;
  // The separator codec sends an object as its JSON text, in the event's first field.
  const [text] = frame.data as unknown[];
  if (typeof text !== "string") return undefined;
  try {
    return isOk(JSON.parse(text), nonce) ? { ok: true } : undefined;
  } catch {
    return undefined;
  }
}

/** The broker's `{ok:true}` answer; with a nonce, only the answer echoing it. */
function isOk(data: unknown, nonce?: string): boolean {
  if (typeof data !== "object" || data === null || Reflect.get(data, "ok") !== true) return false;
  return nonce === undefined || Reflect.get(data, "nonce") === nonce;
}

/**
 * A failed connection attempt the same credentials would fail again: refused (`unauthorized`,
 * `forbidden`) while the token cannot change. With a token function the client keeps retrying
 * (with backoff): the next call may return a fresh token.
 */
export function isFinalRefusal(error: Error | undefined, renewable: boolean): boolean {
  return !renewable && error instanceof ClientError && REFUSAL_CODES.has(error.code);
}

/** The error of an attempt the broker refused, named after the broker's code. */
export function refusalError(code: string, message: string): ClientError {
  const known = REFUSAL_CODES.has(code) ? code : ClientErrorCode.CONNECT_FAILED;
  return new ClientError(known, message);
}

/** The token option, read when a token is needed: each call of a function may return a new one. */
export class Credentials {
  readonly #token: TokenOption | undefined;
  /** How long a token function may take before the attempt fails (`requestTimeout`). */
  readonly #timeoutMs: number;

  constructor(token: TokenOption | undefined, timeoutMs: number) {
    assertTokenOption(token);
    this.#token = token;
    this.#timeoutMs = timeoutMs;
  }

  /** True when a token was given. */
  get present(): boolean {
    return this.#token !== undefined;
  }

  /** True when the token comes from a function, so a refused token may be replaced. */
  get renewable(): boolean {
    return typeof this.#token === "function";
  }

  /**
   * The token to send now (undefined when none was given). Rejects with `token_failed` when the
   * function throws, rejects, or returns something no header can carry.
   */
  async current(): Promise<string | undefined> {
    const option = this.#token;
    if (option === undefined || typeof option === "string") return option;
    let token: unknown;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A token endpoint that never answers must fail the attempt (and so be retried), not leave
    // the client connecting for good.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no token within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      token = await Promise.race([option(), late]);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const message = `The token function failed: ${text}`;
      throw new ClientError(ClientErrorCode.TOKEN_FAILED, message, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    const problem = tokenProblem(token);
    if (problem) {
      const message = `The token function returned an unusable token: ${problem}`;
      throw new ClientError(ClientErrorCode.TOKEN_FAILED, message);
    }
    return token as string;
  }
}

/**
 * The auth frame carrying `token`: `{"type":"auth","data":{"token":"…"}}` in JSON (and over TCP),
 * `#auth|<token>` (escaped) in the separator protocol.
 */
export function authFrame(frames: FrameCodec, token: string, nonce?: string): string {
  if (frames.protocol === "json") {
    return frames.encodeEvent("auth", nonce === undefined ? { token } : { token, nonce });
  }
  return frames.encodeEvent("#auth", nonce === undefined ? [token] : [token, nonce]);
}
