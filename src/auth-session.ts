import type { Codec, InboundMessage } from "../protocols/codec.js";
import {
  type AdmissionGate,
  type Authenticate,
  isExpired,
  tokenRequest,
  unwrapAuth,
} from "./admission.js";
import { authNonceOf, authTokenOf, isAuthFrame } from "./auth-frame.js";
import { CloseCode, MAX_TIMER_MS } from "./constants.js";
import { type BrokerError, ErrorCode, handlerFailure, wireCode } from "./errors.js";
import type { TcpTransport } from "./transports/tcp.js";

/** What a connection's credentials session may ask of the actor behind it. */
export type AuthVerdict =
  | { readonly type: "auth.expired" }
  | { readonly type: "auth.renewed"; readonly event: string; readonly nonce?: string | undefined }
  | { readonly type: "auth.refused"; readonly message: string };

export interface AuthSessionOptions {
  readonly authenticate: Authenticate;
  /** How long a TCP client has to send its first (`auth`) frame. */
  readonly authTimeout: number;
  /** Sends a verdict to a connection's actor. */
  readonly tell: (id: string, verdict: AuthVerdict) => void;
  /** The application data of a live client, updated in place on renewal. */
  readonly dataOf: (id: string) => object | undefined;
  readonly report: (error: BrokerError) => void;
}

/**
 * Everything about credentials after the HTTP handshake: a TCP client's first `auth` frame
 * (TCP has no request to carry a header), expiry timers for `withExpiry` answers, and
 * re-authentication frames. One timer per expiring client, none for the others.
 */
export class AuthSessions {
  readonly #options: AuthSessionOptions;
  readonly #expiries = new Map<string, NodeJS.Timeout>();
  #awaitingFirstFrame = 0;

  constructor(options: AuthSessionOptions) {
    this.#options = options;
  }

  /**
   * Reads a TCP client's first frame within `authTimeout`: an auth frame whose token
   * `authenticate` accepts (and the gate admits) is answered `{"type":"auth","data":{"ok":true}}`
   * and handed to `accept` with the data; anything else gets an `unauthorized` error frame and
   * close 1008. No actor exists before that.
   */
  async admitTcp(
    transport: TcpTransport,
    codec: Codec,
    gate: AdmissionGate,
    accept: (data: object) => void,
  ): Promise<void> {
    const refuse = (message: string, code = wireCode(ErrorCode.UNAUTHORIZED)) => {
      transport.send(codec.encodeError(code, message));
      transport.close(CloseCode.POLICY_VIOLATION, message);
    };
    // Counted against maxConnections while it waits: a client that never sends its auth frame
    // still holds a socket for up to authTimeout.
    this.#awaitingFirstFrame += 1;
    const line = await transport.takeFirstFrame(this.#options.authTimeout).finally(() => {
      this.#awaitingFirstFrame -= 1;
    });
    if (line === undefined) {
      refuse(`No auth frame within ${this.#options.authTimeout} ms`);
      return;
    }
    const decoded = codec.decode(line);
    const token =
      decoded.ok && isAuthFrame(decoded.message) ? authTokenOf(decoded.message) : undefined;
    if (token === undefined || !decoded.ok) {
      refuse('The first frame must be {"type":"auth","data":{"token":"…"}}');
      return;
    }
    // The slot passes from `awaitingFirstFrame` to the gate's pending admissions with no I/O in
    // between, so the socket stays counted while `authenticate` decides.
    gate.admit(tokenRequest(token, transport.remoteAddress), { counted: true }, (result) => {
      // The peer reset while `authenticate` ran: admit nobody, as a WebSocket upgrade or an SSE
      // stream would not be (otherwise `connect` fires for a socket already gone).
      if (transport.destroyed) return;
      if (!result.ok) {
        refuse(result.message, wireCode(result.code));
        return;
      }
      transport.send(codec.encodeEvent(decoded.message.event, { ok: true }));
      accept(result.data);
    });
  }

  /** TCP sockets waiting for their first (`auth`) frame. */
  get awaitingFirstFrame(): number {
    return this.#awaitingFirstFrame;
  }

  /** Arms the expiry of a client admitted with `withExpiry`. */
  expireAt(id: string, expiresAt: number | undefined): void {
    this.forget(id);
    if (expiresAt === undefined) return;
    const delay = Math.max(0, expiresAt - Date.now());
    const timer = setTimeout(
      () => {
        this.#expiries.delete(id);
        if (Date.now() < expiresAt) this.expireAt(id, expiresAt);
        else this.#options.tell(id, { type: "auth.expired" });
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    timer.unref();
    this.#expiries.set(id, timer);
  }

  /** Drops a client's expiry timer (it disconnected). */
  forget(id: string): void {
    const timer = this.#expiries.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#expiries.delete(id);
  }

  /**
   * Checks an auth frame's token with `authenticate`: accepted, the client's data takes the new
   * answer's fields, its expiry moves, and the actor is told `auth.renewed` (leaving `expired`);
   * refused, the actor answers an `unauthorized` error frame and the grace period runs on.
   */
  reauthenticate(id: string, address: string, message: InboundMessage): void {
    const token = authTokenOf(message);
    if (token === undefined) {
      this.#options.tell(id, { type: "auth.refused", message: "An auth frame needs a token" });
      return;
    }
    void this.#decide(tokenRequest(token, address)).then((answer) => {
      if (answer === undefined) {
        this.#options.tell(id, { type: "auth.refused", message: "Not authenticated" });
        return;
      }
      const current = this.#options.dataOf(id);
      if (current === undefined) return;
      this.#merge(current, answer.data);
      this.expireAt(id, answer.expiresAt);
      const nonce = authNonceOf(message);
      this.#options.tell(id, { type: "auth.renewed", event: message.event, nonce });
    });
  }

  /**
   * Merges a renewal's answer into `client.data`. The application may have made that object
   * read-only (a frozen constant returned by `authenticate`): the renewal still stands, and the
   * failure to merge is reported, never thrown into a promise nobody awaits.
   */
  #merge(current: object, fresh: object): void {
    try {
      Object.assign(current, fresh);
    } catch (error) {
      this.#options.report(
        handlerFailure("authenticate: client.data could not take the renewal", error),
      );
    }
  }

  async #decide(
    request: ReturnType<typeof tokenRequest>,
  ): Promise<ReturnType<typeof unwrapAuth> | undefined> {
    try {
      const result = await this.#options.authenticate(request);
      if (result === false || isExpired(result)) return undefined;
      return unwrapAuth(typeof result === "object" && result !== null ? result : {});
    } catch (error) {
      this.#options.report(handlerFailure("authenticate", error));
      return undefined;
    }
  }
}
