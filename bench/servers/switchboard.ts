/**
 * The switchboard broker doing what the other servers do, through its public API:
 *
 * - fanout / idle / churn: every plain frame goes to every client (`broadcast`).
 * - crossnode: the same, on one node of a cluster: `redisAdapter({ url, prefix })` with the
 *   URL and prefix from the second and third arguments, so a broadcast also reaches the
 *   clients of every other node sharing that Redis and prefix.
 * - rooms: `#join|<room>` joins a room (answered `#joined`, which the
 *   supervisor sends after the join); every plain frame goes to the sender's room.
 * - echo: every plain frame goes back to its sender (`client.send`).
 * - sse: EventSource streams on `/events/bench`, published to by
 *   `POST /events/bench/m` (with the default ids and replay history).
 *
 * It imports the compiled package (`npm run bench` builds it first), as an
 * application would: running the TypeScript sources through tsx would add
 * esbuild's `__name` wrapper to every closure and inflate memory per
 * connection. The heartbeat keeps its default (25 s): that is what users run.
 */
import { serve } from "./harness.js";

// A computed specifier keeps the typecheck independent of a build; the types come from source.
const compiledEntry = new URL("../../dist/src/index.js", import.meta.url).href;
const { createBroker, redisAdapter, separator } = (await import(
  compiledEntry
)) as typeof import("switchboard");

const CHANNEL = "bench";

/** The cluster a crossnode server joins: the Redis URL and prefix the runner passed. */
function clusterAdapter() {
  const [url, prefix] = process.argv.slice(3);
  if (url === undefined || prefix === undefined) {
    throw new Error("crossnode: expected a Redis URL and a prefix as arguments");
  }
  return redisAdapter({ url, prefix });
}

serve(async (mode) => {
  const broker = createBroker({
    port: 0,
    host: "127.0.0.1",
    path: "/ws",
    protocol: separator("|"),
    ...(mode === "crossnode" ? { adapter: clusterAdapter() } : {}),
  });
  switch (mode) {
    case "echo":
      broker.on("message", (client, data) => {
        client.send(data);
      });
      break;
    case "rooms":
      broker.on("#join", (client, data) => {
        const room = Array.isArray(data) ? String(data[0]) : String(data);
        client.data.room = room;
        client.join(room);
        client.send("#joined");
      });
      broker.on("message", (client, data) => {
        const { room } = client.data;
        if (typeof room === "string") broker.broadcast(data, { room });
      });
      break;
    case "sse":
      break; // the SSE endpoint is on by default; nothing to add
    default:
      broker.on("message", (_client, data) => {
        broker.broadcast(data);
      });
  }
  const { url, port } = await broker.listen();
  const connections = () => broker.clients.size;
  if (mode !== "sse") return { url, connections };
  const stream = `http://127.0.0.1:${port}/events/${CHANNEL}`;
  return { url: stream, publishUrl: `${stream}/m`, connections };
});
