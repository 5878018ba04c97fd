/**
 * A TCP proxy in front of a Redis, which a test cuts and restores: the broker behind it loses
 * Redis while Redis itself (and its data, and the other brokers) carry on.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterEach } from "vitest";

export interface TcpProxy {
  /** `redis://127.0.0.1:<proxy port>`. */
  readonly url: string;
  /** Drops every proxied connection and refuses new ones; resolves once nothing listens. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
}

const proxies = new Set<() => Promise<void>>();

afterEach(async () => {
  const closing = [...proxies].map((close) => close());
  proxies.clear();
  await Promise.all(closing);
});

/** A proxy on a free port to `127.0.0.1:<targetPort>`, closed after the test. */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const started = createServer((client) => {
        const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("error", () => {});
          socket.on("close", () => {
            sockets.delete(socket);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      started.once("error", reject);
      started.listen(port, "127.0.0.1", () => {
        const address = started.address();
        if (address && typeof address === "object") port = address.port;
        server = started;
        resolve();
      });
    });
  const cut = async () => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await listen();
  proxies.add(cut);
  return { url: `redis://127.0.0.1:${port}`, cut, restore: listen };
}
