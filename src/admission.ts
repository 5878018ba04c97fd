import type { IncomingMessage } from "node:http";
import { type BrokerError, ErrorCode, type ErrorCodeValue, handlerFailure } from "./errors.js";

/**
 * What `authenticate` answers: the client's data (it becomes `client.data`), `true` (allowed,
 * empty data) or `false` (refused with 401).
 */
export type AuthResult = object | boolean;

/**
 * Decides who may connect, from the HTTP request alone (headers, cookies, client certificate).
 * The broker never reads credentials itself: it hands over the request and the application
 * decides. A throw or rejection answers 500 and is reported as an `error` event.
 */
export type Authenticate = (request: IncomingMessage) => AuthResult | Promise<AuthResult>;

/** A client-initiated operation `authorize` rules on (server code is trusted and never asked). */
export type AuthorizeAction =
  /** An SSE stream subscribing to its channel's room. */
  | { readonly type: "join"; readonly room: string }
  /** An SSE `POST <path>/:channel/:action`. */
  | { readonly type: "post"; readonly channel: string; readonly action: string };

/** Who is asking: what `authenticate` answered (`{}` without it) and the request itself. */
export interface AuthorizeCaller {
  readonly data: object;
  readonly request: IncomingMessage;
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
  /** The live connections of every transport on this node. */
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
 * The checks an HTTP request passes before the broker creates anything for it (no actor, no
 * stream): `Origin` against `allowedOrigins`, `maxConnections`, `authenticate`, `authorize`.
 * `admit` calls `then` synchronously when no user callback is configured (the common case costs
 * no promise), and re-checks capacity right before `then` after an asynchronous step, so
 * concurrent slow authentications cannot overshoot `maxConnections`.
 */
export class AdmissionGate {
  readonly #options: GateOptions;

  constructor(options: GateOptions) {
    this.#options = options;
  }

  /** True when another connection would exceed `maxConnections`. */
  full(): boolean {
    return this.#options.connections() >= this.#options.maxConnections;
  }

  admit(
    request: IncomingMessage,
    query: AdmissionQuery,
    then: (result: AdmissionResult) => void,
  ): void {
    const screened = this.#screen(request, query);
    const { authenticate, authorize } = this.#options;
    if (screened || (!authenticate && !(authorize && query.action))) {
      then(screened ?? { ok: true, data: {} });
      return;
    }
    void this.#decide(request, query).then((result) =>
      then(result.ok && query.counted && this.full() ? TOO_MANY : result),
    );
  }

  /** The cheap checks, done before any user callback runs. */
  #screen(request: IncomingMessage, query: AdmissionQuery): AdmissionResult | undefined {
    const allowed = this.#options.allowedOrigins;
    const origin = request.headers.origin;
    // No Origin header: not a browser, so not a cross-site request (see README "Authentication").
    if (allowed && origin !== undefined && !allowed.has(origin)) {
      return refuse(403, ErrorCode.FORBIDDEN, `Origin "${origin}" is not allowed`);
    }
    if (query.counted && this.full()) return TOO_MANY;
    return undefined;
  }

  async #decide(request: IncomingMessage, query: AdmissionQuery): Promise<AdmissionResult> {
    const { authenticate, authorize } = this.#options;
    let data: object = {};
    let stage = "authenticate";
    try {
      if (authenticate) {
        const result = await authenticate(request);
        if (result === false) return refuse(401, ErrorCode.UNAUTHORIZED, "Not authenticated");
        if (typeof result === "object" && result !== null) data = result;
      }
      stage = "authorize";
      if (authorize && query.action && !(await authorize({ data, request }, query.action))) {
        return refuse(403, ErrorCode.FORBIDDEN, "Not allowed");
      }
    } catch (error) {
      this.#options.report(handlerFailure(stage, error));
      return refuse(500, ErrorCode.INTERNAL, "Authentication failed");
    }
    return { ok: true, data };
  }
}
