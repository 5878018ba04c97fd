/**
 * Renewing credentials on an open connection, one renewal at a time. A renewal takes a token
 * (calling the `token` function, which may refresh it), sends the auth frame with a nonce, and
 * ends when the broker answers: `{ok:true,nonce}` accepted, an `unauthorized` error frame
 * refused, or nothing within `requestTimeout`. Two things start one: `renew()` (early, while the
 * broker still accepts the current credentials) and the broker's `auth_expired` (its
 * `withExpiry` ran out). Whichever comes second joins the renewal under way, so the broker never
 * sees two auth frames race.
 *
 * Once the broker has said `auth_expired` it refuses every frame but an auth frame until it
 * accepts a token, so from then on the application's frames wait in the client's queue (none is
 * sent only to be refused); an early renewal holds nothing, since the current credentials stand.
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
  /** Announces `reauthenticating` (a renewal starts) or `reauthenticated` (accepted). */
  announce(name: "reauthenticating" | "reauthenticated"): void;
  error(error: ClientError): void;
}

/**
 * Who started a renewal, which decides how its failure is told: `renew()`'s caller through the
 * promise it holds, an expiry (nobody is waiting) through an `error` event.
 */
type Origin = "call" | "expiry";

/** The renewal under way: one promise, shared by every `renew()` that joins it. */
class Flight {
  readonly origin: Origin;
  readonly promise: Promise<void>;
  /** Runs from the moment the auth frame is written: the broker's time to answer. */
  timer: ReturnType<typeof setTimeout> | undefined;
  #resolve: () => void = () => {};
  #reject: (error: ClientError) => void = () => {};

  constructor(origin: Origin) {
    this.origin = origin;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A renewal the broker started may have no caller: its failure is an `error` event instead,
    // never an unhandled rejection. Callers awaiting `promise` still see it reject.
    this.promise.catch(() => {});
  }

  settle(error?: ClientError): void {
    clearTimeout(this.timer);
    if (error) this.#reject(error);
    else this.#resolve();
  }
}

export class Renewal {
  readonly #credentials: Credentials;
  readonly #frames: FrameCodec;
  readonly #hooks: RenewalHooks;
  /** How long the broker has to answer an auth frame (`requestTimeout`). */
  readonly #timeoutMs: number;
  /** The broker said `auth_expired` on this connection and has accepted no token since. */
  #expired = false;
  #flight: Flight | undefined;
  /**
   * The nonce of the last auth frame sent and not yet answered. It outlives a timed-out flight:
   * a late acceptance still means the broker renewed, and the client must stop holding frames.
   */
  #awaiting: string | undefined;

  constructor(
    credentials: Credentials,
    frames: FrameCodec,
    timeoutMs: number,
    hooks: RenewalHooks,
  ) {
    this.#credentials = credentials;
    this.#frames = frames;
    this.#timeoutMs = timeoutMs;
    this.#hooks = hooks;
  }

  /** True while the broker would refuse application frames: they wait in the queue. */
  get holding(): boolean {
    return this.#expired;
  }

  /**
   * Renews now, or joins the renewal under way. The caller has checked that the connection is
   * open and that there is a `token` option.
   */
  renew(): Promise<void> {
    return this.#start("call").promise;
  }

  /** A connection opened or closed: whatever was under way belonged to the old one. */
  reset(): void {
    this.#expired = false;
    this.#awaiting = undefined;
    const message = "The connection closed before the broker answered the renewal";
    this.stop(new ClientError(ClientErrorCode.DISCONNECTED, message));
  }

  /** Ends the renewal under way, if any, with `error` (the client was closed). */
  stop(error: ClientError): void {
    const flight = this.#flight;
    if (!flight) return;
    this.#flight = undefined;
    flight.settle(error);
  }

  /** Handles a frame about credentials (and returns true); other frames are left to the caller. */
  handle(frame: InboundFrame): boolean {
    if (frame.kind === "error" && frame.code === ClientErrorCode.AUTH_EXPIRED) {
      // The broker announces an expiry once; every later auth_expired until it accepts a token
      // answers a frame that was already on its way and is now refused.
      if (this.#expired) this.#refused(frame.message);
      else this.#expiredNow(frame.message);
      return true;
    }
    if (this.#awaiting === undefined) return false;
    const answer = readAuthAnswer(frame, false, this.#awaiting);
    if (answer === undefined) return false;
    this.#awaiting = undefined;
    const flight = this.#flight;
    this.#flight = undefined;
    if (answer.ok) {
      const held = this.#expired;
      this.#expired = false;
      // The frames held during the renewal go first, then whatever a listener sends.
      if (held) this.#hooks.release();
      this.#hooks.announce("reauthenticated");
      flight?.settle();
      return true;
    }
    const after = this.#expired
      ? "it closes the connection when its authGrace runs out"
      : "the current credentials stand until they expire";
    const message = `The broker refused the renewed token (${answer.message || answer.code}); ${after}`;
    this.#fail(flight, new ClientError(answer.code, message));
    return true;
  }

  #expiredNow(brokerMessage: string): void {
    this.#expired = true;
    // A renewal already under way (renew() just before the expiry) answers this one too: the
    // broker accepts its auth frame whether it arrives before or after the expiry.
    if (this.#flight) return;
    if (!this.#credentials.present) {
      const message = `Credentials expired and there is no token option to renew them (${brokerMessage}); the broker closes the connection after its authGrace, and the reconnect authenticates anew`;
      this.#hooks.error(new ClientError(ClientErrorCode.AUTH_EXPIRED, message));
      return;
    }
    this.#start("expiry");
  }

  #refused(brokerMessage: string): void {
    const message = `A frame sent as the credentials expired was refused: ${brokerMessage}`;
    this.#hooks.error(new ClientError(ClientErrorCode.AUTH_EXPIRED, message));
  }

  #start(origin: Origin): Flight {
    if (this.#flight) return this.#flight;
    const flight = new Flight(origin);
    // Set before the announcement: a `reauthenticating` listener calling renew() joins it.
    this.#flight = flight;
    this.#hooks.announce("reauthenticating");
    void this.#send(flight);
    return flight;
  }

  async #send(flight: Flight): Promise<void> {
    let token: string | undefined;
    try {
      token = await this.#credentials.current();
    } catch (error) {
      if (this.#flight !== flight) return;
      this.#flight = undefined;
      this.#fail(
        flight,
        error instanceof ClientError
          ? error
          : new ClientError(ClientErrorCode.TOKEN_FAILED, String(error)),
      );
      return;
    }
    // The connection closed, or the client was, while the token was fetched.
    if (this.#flight !== flight) return;
    if (token === undefined) {
      // Callers check for a token option first; never leave a renewal waiting on nothing.
      this.#flight = undefined;
      const message = "There is no token option to renew with";
      this.#fail(flight, new ClientError(ClientErrorCode.NO_TOKEN, message));
      return;
    }
    // The broker echoes the nonce: an application event named `auth` is never taken for it.
    const nonce = randomNonce();
    this.#awaiting = nonce;
    flight.timer = setTimeout(() => this.#timedOut(flight), this.#timeoutMs);
    this.#hooks.write(authFrame(this.#frames, token, nonce));
  }

  #timedOut(flight: Flight): void {
    if (this.#flight !== flight) return;
    this.#flight = undefined;
    const message = `The broker did not answer the renewal within ${this.#timeoutMs} ms (does it have authenticate?)`;
    this.#fail(flight, new ClientError(ClientErrorCode.TIMEOUT, message));
  }

  /** A renewal failed: its caller hears it through the promise, an expiry's through `error`. */
  #fail(flight: Flight | undefined, error: ClientError): void {
    if (flight?.origin !== "call") this.#hooks.error(error);
    flight?.settle(error);
  }
}
