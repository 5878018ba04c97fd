import { type AddressInfo, createServer, type Socket } from "node:net";
import { Defaults } from "../constants.js";
import { TcpTransport } from "./tcp.js";

export interface TcpEndpointOptions {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Interface to bind. Default `Defaults.host` (127.0.0.1). */
  readonly host?: string;
  /** The longest line accepted, in bytes; a longer one closes that connection with 1009. */
  readonly maxPayload: number;
  /** How long a transport waits for the peer's FIN after `close()`. Default 5 000 ms. */
  readonly closeTimeout?: number;
  /**
   * How long `close()` lets open connections finish (their actors close them) before it
   * destroys what is left. Default `Defaults.closeTimeout`.
   */
  readonly closeGrace?: number;
  /** Takes each accepted connection; call `bind` on it (through a connection actor). */
  readonly accept: (transport: TcpTransport) => void;
  /** Server-level failures after `listen()` (e.g. EMFILE on accept); ignored by default. */
  readonly onError?: (error: Error) => void;
}

export interface TcpEndpoint {
  /** Starts listening; resolves with the address bound, rejects if the port is taken. */
  listen(): Promise<AddressInfo>;
  /**
   * Stops accepting at once and resolves when every connection is gone; connections still open
   * after `closeGrace` ms are destroyed. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * The raw TCP endpoint: a `net` server on its own port whose every connection becomes a
 * `TcpTransport` handed to `accept`. Connection-level errors are the transports' to report; the
 * endpoint only adds Nagle off (each frame is a small, latency-bound write) and bookkeeping for
 * the forced close.
 *
 * @example
 * const endpoint = createTcpEndpoint({
 *   port: 0,
 *   maxPayload: Defaults.maxPayload,
 *   accept: (transport) => transport.bind((event) => console.log(event)),
 * });
 * const { port } = await endpoint.listen();
 */
export function createTcpEndpoint(options: TcpEndpointOptions): TcpEndpoint {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // The transport attaches the socket's error listener before anything else can happen.
    const transport = new TcpTransport(socket, {
      maxPayload: options.maxPayload,
      closeTimeout: options.closeTimeout ?? Defaults.closeTimeout,
    });
    try {
      options.accept(transport);
    } catch (error) {
      // A broken accept must cost this connection only, never the process.
      socket.destroy();
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  });
  let closing: Promise<void> | undefined;

  return {
    listen() {
      return new Promise<AddressInfo>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host ?? Defaults.host, () => {
          server.off("error", reject);
          // From now on a server error must not crash the process: report it or drop it.
          server.on("error", (error) => options.onError?.(error));
          resolve(server.address() as AddressInfo);
        });
      });
    },

    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, options.closeGrace ?? Defaults.closeTimeout);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
