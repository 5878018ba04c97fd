/**
 * The client's options, their defaults, and their validation (at `connect()`, so a bad option
 * fails at once rather than on the first reconnect).
 */
import type { TokenOption } from "./auth.js";
import { assertBackoff, type BackoffOptions, type Jitter } from "./backoff.js";
import type { ClientProtocol } from "./frames.js";

export interface ReconnectOptions {
  /** The first attempt's delay ceiling, in ms. Default 250. */
  readonly min?: number;
  /** The largest delay ceiling, in ms. Default 10 000. */
  readonly max?: number;
  /** How much the ceiling grows per attempt. Default 2. */
  readonly factor?: number;
  /** `full`: uniform in [0, ceiling] (default); `equal`: its upper half; `none`: the ceiling. */
  readonly jitter?: Jitter;
  /** Attempts per outage before giving up (`reconnect_failed`). Default `Infinity`. */
  readonly attempts?: number;
}

export interface ConnectOptions {
  /**
   * The wire protocol: `json` (default: requests need its acks) or `separator`. Requested as the
   * WebSocket subprotocol `switchboard.<protocol>`. `tcp://` is always `json`.
   */
  readonly protocol?: ClientProtocol;
  /** The separator protocol's field separator; must match the broker's. Default `|`. */
  readonly separator?: string;
  /** Reconnect after a dropped connection or a failed attempt; `false` turns it off. On by default. */
  readonly reconnect?: boolean | ReconnectOptions;
  /** Frames sent while not open wait here (at most `max`, default 1 000); `false`: not queued. */
  readonly queue?: false | { readonly max?: number };
  /** Events kept for `pump()` (at most `max`, default 10 000); `false`: no buffer for `pump()`. */
  readonly pump?: false | { readonly max?: number };
  /**
   * Default timeout of `request()`, in ms; also how long a `tcp://` connection waits for the
   * answer to its auth frame. Default 10 000.
   */
  readonly requestTimeout?: number;
  /**
   * A token for the broker's `authenticate`, or a function returning one (called on every
   * connect and every renewal, so it can refresh it). Node: sent as `Authorization: Bearer
   * <token>` on the WebSocket upgrade, and as the first line over `tcp://`. Browsers cannot set
   * WebSocket headers: a same-site HttpOnly cookie authenticates the upgrade there, and the
   * token only serves renewals. Never put a token in the URL. When the broker's credentials
   * expire (`auth_expired`), or on `renew()`, the client sends an auth frame with a token from here.
   */
  readonly token?: TokenOption;
}

/**
 * Every default of the client, in one place.
 *
 * @example
 * connect(url, { reconnect: { ...ClientDefaults.reconnect, max: 30_000 } });
 */
export const ClientDefaults = {
  protocol: "json",
  separator: "|",
  reconnect: {
    min: 250,
    max: 10_000,
    factor: 2,
    jitter: "full",
    attempts: Number.POSITIVE_INFINITY,
  },
  queueMax: 1_000,
  pumpMax: 10_000,
  requestTimeout: 10_000,
} as const;

export interface ResolvedReconnect extends BackoffOptions {
  readonly attempts: number;
}

export interface ResolvedOptions {
  readonly protocol: ClientProtocol;
  readonly separator: string;
  readonly reconnect: ResolvedReconnect | false;
  /** 0 when queueing is off. */
  readonly queueMax: number;
  /** 0 when the pump buffer is off. */
  readonly pumpMax: number;
  readonly requestTimeout: number;
}

export function resolveOptions(options: ConnectOptions, tcp: boolean): ResolvedOptions {
  const protocol = options.protocol ?? ClientDefaults.protocol;
  if (protocol !== "json" && protocol !== "separator") {
    throw new TypeError(`Invalid protocol: ${String(protocol)}; use json or separator`);
  }
  if (tcp && protocol !== "json") {
    throw new TypeError("Invalid protocol: tcp:// speaks json only");
  }
  const resolved: ResolvedOptions = {
    protocol,
    separator: options.separator ?? ClientDefaults.separator,
    reconnect: resolveReconnect(options.reconnect),
    queueMax: options.queue === false ? 0 : (options.queue?.max ?? ClientDefaults.queueMax),
    pumpMax: options.pump === false ? 0 : (options.pump?.max ?? ClientDefaults.pumpMax),
    requestTimeout: options.requestTimeout ?? ClientDefaults.requestTimeout,
  };
  assertCount("queue.max", resolved.queueMax, options.queue !== false);
  assertCount("pump.max", resolved.pumpMax, options.pump !== false);
  assertTimeout("requestTimeout", resolved.requestTimeout);
  return resolved;
}

function resolveReconnect(option: ConnectOptions["reconnect"]): ResolvedReconnect | false {
  if (option === false) return false;
  const given = option === true || option === undefined ? {} : option;
  const defaults = ClientDefaults.reconnect;
  const reconnect: ResolvedReconnect = {
    min: given.min ?? defaults.min,
    max: given.max ?? defaults.max,
    factor: given.factor ?? defaults.factor,
    jitter: given.jitter ?? defaults.jitter,
    attempts: given.attempts ?? defaults.attempts,
  };
  assertBackoff(reconnect);
  const { attempts } = reconnect;
  if (
    !(attempts === Number.POSITIVE_INFINITY || (Number.isSafeInteger(attempts) && attempts >= 0))
  ) {
    throw new RangeError(
      `Invalid reconnect.attempts: ${attempts} is not an integer >= 0 or Infinity`,
    );
  }
  return reconnect;
}

function assertCount(name: string, value: number, positive: boolean): void {
  if (!Number.isSafeInteger(value) || value < (positive ? 1 : 0)) {
    throw new RangeError(`Invalid ${name}: ${value} is not an integer >= ${positive ? 1 : 0}`);
  }
}

/** A timer delay: a finite number of ms >= 0 (setTimeout clamps anything over 2^31 - 1). */
export function assertTimeout(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > 2_147_483_647) {
    throw new RangeError(`Invalid ${name}: ${value} is not a number of ms in [0, 2^31 - 1]`);
  }
}
