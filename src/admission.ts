import type { IncomingHttpHeaders } from "node:http";
import { answerWithin } from "./answer-within.js";
import { type BrokerError, ErrorCode, type ErrorCodeValue, handlerFailure } from "./errors.js";

/**
 * What `authenticate` answers: the client's data (it becomes `client.data`), `true` (allowed,
 * empty data), `false` (refused with 401), or `withExpiry(data, expiresAt)` for credentials
 * that run out.
 */
export type AuthResult = object | boolean;

/**
 * What `authenticate` sees. For WebSocket upgrades and SSE requests it is the `http`
 * `IncomingMessage` itself. A TCP client's `auth` frame (and any client's re-authentication
 * frame) arrives as a request-like object whose only header is `authorization: Bearer <token>`,
 * so one function reading `request.headers.authorization` serves every transport.
 */
export interface AuthRequest {
  readonly headers: IncomingHttpHeaders;
  readonly url?: string | undefined;
  readonly method?: string | undefined;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/**
 * Decides who may connect, from the request alone (headers, cookies, client certificate).
 * The broker never reads credentials itself: it hands over the request and the application
 * decides. A throw or rejection answers 500 and is reported as an `error` event.
 */
export type Authenticate = (request: AuthRequest) => AuthResult | Promise<AuthResult>;

/** Credentials that run out: see `withExpiry`. */
export class ExpiringAuth {
  readonly data: object;
  /** When the credentials expire, in ms since the epoch (`Date.now()` time). */
  readonly expiresAt: number;

  constructor(data: object, expiresAt: number) {
    this.data = data;
    this.expiresAt = expiresAt;
  }
}

/**
 * An `authenticate` answer whose credentials expire at `expiresAt` (ms since the epoch, e.g. a
 * JWT's `exp * 1000`). At that moment the connection enters its `expired` state: the client gets
 * an `auth_expired` error frame and `authGrace` ms to send an `auth` frame with a fresh token,
 * or it is closed with 1008 (an SSE stream ends; EventSource reconnects with fresh cookies).
 *
 * @example
 * authenticate: (request) => {
 *   const claims = verify(request.headers.authorization);
 *   return claims ? withExpiry({ user: claims.sub }, claims.exp * 1000) : false;
 * }
 */
export function withExpiry(data: object, expiresAt: number): ExpiringAuth {
  // NaN would expire the client at once, silently; a bad `exp` claim is the application's bug.
  if (!Number.isFinite(expiresAt)) {
    throw new TypeError(`withExpiry: expiresAt must be a finite time in ms, got ${expiresAt}`);
  }
  return new ExpiringAuth(data, expiresAt);
}

/** True for a `withExpiry` answer whose time has already passed. */
export function isExpired(result: unknown): boolean {
  return result instanceof ExpiringAuth && result.expiresAt <= Date.now();
}

/** The application's data and expiry inside an admission's data. */
export function unwrapAuth(data: object): { data: object; expiresAt: number | undefined } {
  return data instanceof ExpiringAuth
    ? { data: data.data, expiresAt: data.expiresAt }
    : { data, expiresAt: undefined };
}

/** The request-like object `authenticate` gets for a token sent in a frame (TCP, re-auth). */
export function tokenRequest(token: string, remoteAddress: string): AuthRequest {
  return { headers: { authorization: `Bearer ${token}` }, socket: { remoteAddress } };
}

/** A client-initiated operation `authorize` rules on (server code is trusted and never asked). */
export type AuthorizeAction =
  /** An SSE stream subscribing to its channel's room. */
  | { readonly type: "join"; readonly room: string }
  /** An SSE `POST <path>/:channel/:action`. */
  | { readonly type: "post"; readonly channel: string; readonly action: string };

/** Who is asking: what `authenticate` answered (`{}` without it) and the request itself. */
export interface AuthorizeCaller {
  readonly data: object;
  readonly request: AuthRequest;
}

/** True allows the operation; false refuses it with 403. A throw answers 500. */
export type Authorize = (
  caller: AuthorizeCaller,
  action: AuthorizeAction,
) => boolean | Promise<boolean>;

export type AdmissionResult =
  | { readonly ok: true; readonly data: object }
  | {
      readonly ok: false;
      readonly status: 401 | 403 | 500 | 503;
      readonly code: ErrorCodeValue;
      readonly message: string;
    };

export interface GateOptions {
  readonly allowedOrigins: ReadonlySet<string> | undefined;
  readonly maxConnections: number;
  readonly authenticate: Authenticate | undefined;
  readonly authorize: Authorize | undefined;
  /** How long `authenticate` and `authorize` may take each; past it the request fails (500). */
  readonly callbackTimeout: number;
  /**
   * The connections of every transport on this node that the gate is not itself admitting: live
   * clients, and TCP sockets still owing their auth frame. The gate adds its pending admissions.
   */
  readonly connections: () => number;
  /** Reports a throwing `authenticate`/`authorize` as an `error` event. */
  readonly report: (error: BrokerError) => void;
}

/** What one request asks for: a new connection (`counted`) and/or an operation to authorize. */
export interface AdmissionQuery {
  readonly counted: boolean;
  readonly action?: AuthorizeAction;
}

const refuse = (
  status: 401 | 403 | 500 | 503,
  code: ErrorCodeValue,
  message: string,
): AdmissionResult => ({ ok: false, status, code, message });

const TOO_MANY = refuse(503, ErrorCode.TOO_MANY_CONNECTIONS, "Too many connections");

/**
 * The `data` of a client no `authenticate` answered for: a marker, never handed to the
 * application (its handle makes its own bag on first use), so admitting costs no object.
 */
export const NO_DATA: object = Object.freeze({});

const ADMITTED: AdmissionResult = { ok: true, data: NO_DATA };

/**
 * The checks an HTTP request passes before the broker creates anything for it (no actor, no
 * stream): `Origin` against `allowedOrigins`, `maxConnections`, `authenticate`, `authorize`.
 * `admit` calls `then` synchronously when no user callback is configured (the common case costs
 * no promise, no allocation).
 *
 * A counted admission waiting on a user callback holds a slot of `maxConnections` until the
 * callback settles: otherwise a slow `authenticate` (a database lookup) would let a peer park any
 * number of sockets in it. The slot is held even if the peer resets meanwhile, since the call it
 * started is still running: slots bound the `authenticate` calls in flight, not only the sockets.
 * It is released once, when the decision arrives, right before capacity is checked again (so the
 * admission is not counted against itself).
 */
export class AdmissionGate {
  readonly #options: GateOptions;
  /** Counted admissions inside `authenticate`/`authorize`: they hold slots as live clients do. */
  #pending = 0;

  constructor(options: GateOptions) {
    this.#options = options;
  }

  /** True when another connection would exceed `maxConnections` (live ones and pending ones). */
  full(): boolean {
    return this.#options.connections() + this.#pending >= this.#options.maxConnections;
  }

  admit(
    request: AuthRequest,
    query: AdmissionQuery,
    then: (result: AdmissionResult) => void,
  ): void {
    const screened = this.#screen(request, query);
    const { authenticate, authorize } = this.#options;
    if (screened || (!authenticate && !(authorize && query.action))) {
      then(screened ?? ADMITTED);
      return;
    }
    if (!query.counted) {
      void this.#decide(request, query).then(then);
      return;
    }
    this.#pending += 1;
    // `#decide` never rejects (it turns every failure into a 500 answer), so this runs exactly
    // once per admission and the slot cannot leak or be released twice.
    void this.#decide(request, query).then((result) => {
      this.#pending -= 1;
      then(result.ok && this.full() ? TOO_MANY : result);
    });
  }

  /** The cheap checks, done before any user callback runs. */
  #screen(request: AuthRequest, query: AdmissionQuery): AdmissionResult | undefined {
    const allowed = this.#options.allowedOrigins;
    const origin = request.headers.origin;
    // No Origin header: not a browser, so not a cross-site request (see README "Authentication").
    if (allowed && origin !== undefined && !allowed.has(origin)) {
      return refuse(403, ErrorCode.FORBIDDEN, `Origin "${origin}" is not allowed`);
    }
    if (query.counted && this.full()) return TOO_MANY;
    return undefined;
  }

  async #decide(request: AuthRequest, query: AdmissionQuery): Promise<AdmissionResult> {
    const { authenticate, authorize, callbackTimeout: timeout } = this.#options;
    let data: object = {};
    let stage = "authenticate";
    try {
      if (authenticate) {
        const result = await answerWithin(authenticate(request), timeout, "authenticate");
        if (result === false) return refuse(401, ErrorCode.UNAUTHORIZED, "Not authenticated");
        // Credentials that have already run out would expire at once, and a client renewing
        // with the same token would loop: they are refused like bad ones.
        if (isExpired(result)) return refuse(401, ErrorCode.UNAUTHORIZED, "Credentials expired");
        if (typeof result === "object" && result !== null) data = result;
      }
      stage = "authorize";
      const caller = { data: unwrapAuth(data).data, request };
      const allowed =
        !authorize ||
        !query.action ||
        (await answerWithin(authorize(caller, query.action), timeout, "authorize"));
      if (!allowed) {
        return refuse(403, ErrorCode.FORBIDDEN, "Not allowed");
      }
    } catch (error) {
      this.#options.report(handlerFailure(stage, error));
      return refuse(500, ErrorCode.INTERNAL, "Authentication failed");
    }
    return { ok: true, data };
  }
}
