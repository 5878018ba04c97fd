/**
 * Peer: Socket.IO 4 on its WebSocket transport only (`transports: ["websocket"]`,
 * no long-polling, no compression), the way a realtime app would deploy it.
 *
 * - fanout / idle / churn: every `m` event from a client is `io.emit`-ed to all.
 * - crossnode: the same, on one node of a cluster: `@socket.io/redis-adapter` over two
 *   ioredis clients (publish, subscribe), with the Redis URL and key prefix from the second
 *   and third arguments, so an `io.emit` also reaches the sockets of every other node
 *   sharing that Redis and prefix (one PUBLISH per broadcast, as switchboard's adapter).
 * - rooms: `join` (acknowledged) puts the socket in a room with `socket.join`;
 *   every `m` goes to that room with `io.to(room).emit`, sender included.
 * - echo: every `m` goes back with `socket.emit`.
 *
 * Its in-memory adapter encodes a broadcast once and writes one pre-built
 * WebSocket frame to every socket: what `raw-ws-prebuilt.ts` does by hand.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";
import { serve, unsupported } from "./harness.js";

/**
 * Joins the cluster the runner named (Redis URL and key prefix) and resolves once this
 * node's subscription is live, so that no broadcast from the other node is missed.
 */
async function joinCluster(io: Server): Promise<void> {
  const [url, prefix] = process.argv.slice(3);
  if (url === undefined || prefix === undefined) {
    throw new Error("crossnode: expected a Redis URL and a prefix as arguments");
  }
  const pub = new Redis(url);
  const sub = pub.duplicate();
  for (const client of [pub, sub]) {
    // The adapter warns about a missing handler; a lost Redis fails the run at its timeout.
    client.on("error", (error: Error) => console.error(`Redis: ${error.message}`));
  }
  io.adapter(createAdapter(pub, sub, { key: prefix }));
  // The adapter's PSUBSCRIBE is queued on `sub` ahead of this PING: its answer means the
  // subscription is in place.
  await sub.ping();
}

serve(async (mode) => {
  if (mode === "sse") unsupported("Socket.IO", mode);
  const http = createServer();
  const io = new Server(http, {
    transports: ["websocket"],
    perMessageDeflate: false,
    serveClient: false,
  });
  if (mode === "crossnode") await joinCluster(io);
  io.on("connection", (socket) => {
    switch (mode) {
      case "echo":
        socket.on("m", (data: unknown) => {
          socket.emit("m", data);
        });
        break;
      case "rooms": {
        let room: string | undefined;
        socket.on("join", (name: unknown, ack: unknown) => {
          if (typeof name !== "string") return;
          room = name;
          void socket.join(name); // the in-memory adapter joins synchronously
          if (typeof ack === "function") ack();
        });
        socket.on("m", (data: unknown) => {
          if (room !== undefined) io.to(room).emit("m", data);
        });
        break;
      }
      default:
        socket.on("m", (data: unknown) => {
          io.emit("m", data);
        });
    }
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, connections: () => io.engine.clientsCount };
});
