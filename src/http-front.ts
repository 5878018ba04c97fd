import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { rejectUpgrade } from "./transports/reject-upgrade.js";

/** Answers a request it recognises and returns true, or returns false to let others try. */
export type RequestRoute = (request: IncomingMessage, response: ServerResponse) => boolean;
/** Takes an upgrade it recognises and returns true, or returns false. */
export type UpgradeRoute = (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface HttpFrontOptions {
  /** The owned server's `headersTimeout` (ms); Node's default (60 000) when absent. */
  readonly headersTimeout?: number;
  /** A route that threw (a bug): the request got 500 or its socket was destroyed. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Whether the request-target can be parsed as a URL. Node's parser lets through targets that
 * WHATWG URL refuses (`GET http://[`); every route parses the target, so such a request is
 * answered 400 here instead of throwing out of the server's listener.
 */
const parsableTarget = (request: IncomingMessage): boolean =>
  URL.canParse(request.url ?? "/", "http://localhost");

/** Node checks `headersTimeout` only every `connectionsCheckingInterval` (30 s by default). */
const NODE_CONNECTIONS_CHECKING_INTERVAL = 30_000;
/** Node refuses a `headersTimeout` over `requestTimeout` (300 s by default). */
const NODE_REQUEST_TIMEOUT = 300_000;

/**
 * Settings for a server the broker owns. A slow-loris client (headers one byte at a time) is
 * cut off by `headersTimeout`, but Node only looks every `connectionsCheckingInterval`: with
 * a short timeout the check runs at half of it, as Node's defaults do (60 s / 30 s), so a
 * socket lingers at most 1.5 x the timeout.
 */
function ownedServerOptions(options: HttpFrontOptions): ServerOptions {
  const { headersTimeout } = options;
  if (headersTimeout === undefined) return {};
  // 0 turns the timeout off, as in Node; no check timer needs to run faster then.
  if (!(headersTimeout > 0)) return { headersTimeout: 0 };
  const checkEvery = Math.ceil(headersTimeout / 2);
  return {
    headersTimeout,
    requestTimeout: Math.max(NODE_REQUEST_TIMEOUT, headersTimeout),
    connectionsCheckingInterval: Math.min(NODE_CONNECTIONS_CHECKING_INTERVAL, checkEvery),
  };
}

/**
 * The broker's one HTTP server, on which the WebSocket endpoint, SSE and later the inspector
 * are mounted as routes. It either owns a server (and answers 404 for what no route takes) or is
 * attached to the application's server: then it takes upgrades on its paths only, and plain
 * requests only when the application hands them over (`handleRequest`), since two request
 * listeners answering one request would collide.
 */
export class HttpFront {
  readonly server: Server;
  readonly #owned: boolean;
  readonly #requestRoutes: RequestRoute[] = [];
  readonly #upgradeRoutes: UpgradeRoute[] = [];
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #onRequest = (request: IncomingMessage, response: ServerResponse) =>
    this.#route(request, response);
  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    this.#routeUpgrade(request, socket, head);

  constructor(server?: Server, options: HttpFrontOptions = {}) {
    this.#owned = server === undefined;
    this.#onError = options.onError;
    this.server = server ?? createServer(ownedServerOptions(options));
    if (this.#owned) this.server.on("request", this.#onRequest);
    this.server.on("upgrade", this.#onUpgrade);
  }

  /** Answers a request if a route takes it; false leaves it to the application. */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    if (!parsableTarget(request)) return false;
    try {
      for (const route of this.#requestRoutes) if (route(request, response)) return true;
    } catch (error) {
      // A route bug costs this request only, never the process.
      this.#onError?.(error);
      if (!response.headersSent) response.writeHead(500, { "Content-Type": "text/plain" });
      response.end();
      return true;
    }
    return false;
  }

  addRequestRoute(route: RequestRoute): void {
    this.#requestRoutes.push(route);
  }

  addUpgradeRoute(route: UpgradeRoute): void {
    this.#upgradeRoutes.push(route);
  }

  /** Listens (owned server) or waits for the application's server to be listening. */
  async listen(port: number, host: string): Promise<AddressInfo> {
    if (!this.server.listening) {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => {
          this.server.off("listening", onListening);
          reject(error);
        };
        const onListening = () => {
          this.server.off("error", onError);
          resolve();
        };
        this.server.once("error", onError);
        this.server.once("listening", onListening);
        if (this.#owned) this.server.listen(port, host);
      });
    }
    return this.server.address() as AddressInfo;
  }

  /**
   * Stops accepting connections at once; the returned promise resolves once every connection of
   * an owned server is gone. Call `release()` when the broker's own clients have closed.
   */
  close(): Promise<void> {
    this.server.off("request", this.#onRequest);
    this.server.off("upgrade", this.#onUpgrade);
    if (!this.#owned || !this.server.listening) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /**
   * After the broker's clients are gone: a keep-alive connection whose stream just ended is now
   * idle and would hold `close()` until the client drops it; close those, and after `graceMs`
   * whatever is left (a request still in flight, a spare socket that never sent one).
   */
  release(graceMs: number): void {
    if (!this.#owned) return;
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    timer.unref();
    this.server.once("close", () => clearTimeout(timer));
  }

  #route(request: IncomingMessage, response: ServerResponse): void {
    if (this.handleRequest(request, response)) return;
    const malformed = !parsableTarget(request);
    response.writeHead(malformed ? 400 : 404, { "Content-Type": "text/plain; charset=utf-8" });
    response.end(malformed ? "Malformed request target\n" : "Not found\n");
  }

  #routeUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!parsableTarget(request)) {
      // An attached server's own upgrade listeners may still take it; the broker's never do.
      if (this.#owned || this.server.listenerCount("upgrade") === 1) {
        rejectUpgrade(socket, 400, "Malformed request target");
      }
      return;
    }
    try {
      for (const route of this.#upgradeRoutes) if (route(request, socket, head)) return;
    } catch (error) {
      this.#onError?.(error);
      socket.destroy();
      return;
    }
    if (this.#owned) rejectUpgrade(socket, 404, "No WebSocket endpoint at this path");
  }
}
