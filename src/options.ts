import type { Server } from "node:http";
import type { InspectionEvent, Observer } from "xstate";
import type { Codec } from "../protocols/codec.js";
import { json } from "../protocols/json.js";
import { separator } from "../protocols/separator.js";
import { Defaults } from "./constants.js";

/** Anything xstate accepts as `inspect`: a callback or an observer (e.g. `@statelyai/inspect`). */
export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

export interface BrokerOptions {
  /** Port to listen on (0 picks a free one). Ignored with `server`. Default 8899. */
  readonly port?: number;
  /** Interface to bind. Default `127.0.0.1`; use `0.0.0.0` to accept other machines. */
  readonly host?: string;
  /** WebSocket endpoint path. Default `/ws`. */
  readonly path?: string;
  /**
   * An existing `http.Server` to attach to (like ws's `server` option): the broker handles
   * upgrades on `path` only, leaves every other request alone, and never closes that server.
   */
  readonly server?: Server;
  /** The codec of clients that do not choose one. Default `separator("|")`. */
  readonly protocol?: Codec;
  /**
   * Codecs a client may choose by subprotocol (`switchboard.<name>`) or `?protocol=<name>`.
   * Default: the default codec plus `separator("|")` and `json()`.
   */
  readonly protocols?: readonly Codec[];
  /** Largest frame accepted, in bytes; a larger one closes that client with 1009. Default 1 MiB. */
  readonly maxPayload?: number;
  /** Ping a quiet client after this many ms; 0 turns the heartbeat off. Default 25 000. */
  readonly heartbeatInterval?: number;
  /** Close (1006) a client that has not answered a ping after this many ms. Default 20 000. */
  readonly heartbeatTimeout?: number;
  /** How long a closing handshake may take before the socket is destroyed. Default 5 000. */
  readonly closeTimeout?: number;
  /** Receives every actor's inspection events (`@xstate.actor`, `.event`, `.snapshot`). */
  readonly inspect?: InspectionObserver;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly server: Server | undefined;
  readonly protocol: Codec;
  readonly codecs: ReadonlyMap<string, Codec>;
  readonly maxPayload: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly closeTimeout: number;
  readonly inspect: InspectionObserver | undefined;
}

export function resolveOptions(options: BrokerOptions): ResolvedOptions {
  const protocol = options.protocol ?? separator("|");
  // The default codec's instance wins for its name, so its settings (e.g. the separator) hold.
  const codecs = new Map<string, Codec>();
  for (const codec of options.protocols ?? [separator("|"), json()]) codecs.set(codec.name, codec);
  codecs.set(protocol.name, protocol);
  return {
    port: options.port ?? Defaults.port,
    host: options.host ?? Defaults.host,
    path: options.path ?? Defaults.path,
    server: options.server,
    protocol,
    codecs,
    maxPayload: options.maxPayload ?? Defaults.maxPayload,
    heartbeatInterval: options.heartbeatInterval ?? Defaults.heartbeatInterval,
    heartbeatTimeout: options.heartbeatTimeout ?? Defaults.heartbeatTimeout,
    closeTimeout: options.closeTimeout ?? Defaults.closeTimeout,
    inspect: options.inspect,
  };
}
