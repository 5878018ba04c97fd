/**
 * Renewing credentials on an open connection. When the broker's `withExpiry` runs out it sends
 * an `auth_expired` error frame, refuses every other frame, and closes with 1008 after
 * `authGrace` ms unless an auth frame brings a token `authenticate` accepts. This takes a token
 * (calling the `token` function, which may refresh it), sends the auth frame ahead of anything
 * queued, and holds the application's frames in the client's queue until the broker answers, so
 * none is sent only to be refused.
 */
import { authFrame, type Credentials, readAuthAnswer } from "./auth.js";
import { ClientError, ClientErrorCode } from "./errors.js";
import type { FrameCodec, InboundFrame } from "./frames.js";

/** Tells one renewal's answer from anything else named `auth`; not a secret. */
const randomNonce = (): string => Math.random().toString(36).slice(2, 12);

export interface RenewalHooks {
  /** Writes a frame to the open socket now, ahead of the queue. */
  write(text: string): void;
  /** The credentials are good again: send what was held. */
  release(): void;
  /** Announces `reauthenticating` (before the auth frame) or `reauthenticated` (accepted). */
  announce(name: "reauthenticating" | "reauthenticated"): void;
  error(error: ClientError): void;
}

type Phase =
  /** Credentials good (or never expiring): frames flow. */
  | "valid"
  /** Expired: fetching a token, then waiting for the broker's answer to the auth frame. */
  | "renewing"
  /** Expired for good on this connection (refused, no token, token function failed). */
  | "lapsed";

export class Renewal {
  readonly #credentials: Credentials;
  readonly #frames: FrameCodec;
  readonly #hooks: RenewalHooks;
  #phase: Phase = "valid";
  /** The auth frame is on the wire: the next auth answer is ours. */
  #sent = false;
  /** Echoed in the broker's answer to the renewal frame in flight. */
  #nonce: string | undefined;
  /** Bumped per connection: a token that arrives after its connection closed is not sent. */
  #connection = 0;

  constructor(credentials: Credentials, frames: FrameCodec, hooks: RenewalHooks) {
    this.#credentials = credentials;
    this.#frames = frames;
    this.#hooks = hooks;
  }

  /** True while the broker would refuse application frames: they wait in the queue. */
  get holding(): boolean {
    return this.#phase !== "valid";
  }

  /** A connection opened or closed: whatever was under way belonged to the old one. */
  reset(): void {
    this.#connection += 1;
    this.#phase = "valid";
    this.#sent = false;
  }

  /** Handles a frame about credentials (and returns true); other frames are left to the caller. */
  handle(frame: InboundFrame): boolean {
    if (frame.kind === "error" && frame.code === ClientErrorCode.AUTH_EXPIRED) {
      this.#expired(frame.message);
      return true;
    }
    if (this.#phase !== "renewing" || !this.#sent) return false;
    const answer = readAuthAnswer(frame, false, this.#nonce);
    if (answer === undefined) return false;
    this.#sent = false;
    if (answer.ok) {
      this.#phase = "valid";
      // The frames held during the renewal go first, then whatever a listener sends.
      this.#hooks.release();
      this.#hooks.announce("reauthenticated");
      return true;
    }
    this.#phase = "lapsed";
    const message = `The broker refused the renewed token (${answer.message || answer.code}); it closes the connection when its authGrace runs out`;
    this.#hooks.error(new ClientError(answer.code, message));
    return true;
  }

  #expired(brokerMessage: string): void {
    if (this.#phase !== "valid") {
      // Sent before the client knew of the expiry: the broker dropped it.
      const message = `A frame sent as the credentials expired was refused: ${brokerMessage}`;
      this.#hooks.error(new ClientError(ClientErrorCode.AUTH_EXPIRED, message));
      return;
    }
    if (!this.#credentials.present) {
      this.#phase = "lapsed";
      const message = `Credentials expired and there is no token option to renew them (${brokerMessage}); the broker closes the connection after its authGrace, and the reconnect authenticates anew`;
      this.#hooks.error(new ClientError(ClientErrorCode.AUTH_EXPIRED, message));
      return;
    }
    this.#phase = "renewing";
    this.#hooks.announce("reauthenticating");
    void this.#renew(this.#connection);
  }

  async #renew(connection: number): Promise<void> {
    let token: string | undefined;
    try {
      token = await this.#credentials.current();
    } catch (error) {
      if (connection !== this.#connection) return;
      this.#phase = "lapsed";
      this.#hooks.error(
        error instanceof ClientError
          ? error
          : new ClientError(ClientErrorCode.TOKEN_FAILED, String(error)),
      );
      return;
    }
    // A listener may have closed the client, or the grace ran out while the token was fetched.
    if (connection !== this.#connection || this.#phase !== "renewing" || token === undefined) {
      return;
    }
    this.#sent = true;
    // The broker echoes the nonce: an application event named `auth` is never taken for it.
    this.#nonce = randomNonce();
    this.#hooks.write(authFrame(this.#frames, token, this.#nonce));
  }
}
