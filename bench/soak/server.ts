/**
 * The broker under soak, in a child process of its own (`--expose-gc`), from the compiled
 * package as an application would run it (see `../servers/switchboard.ts` for why not the
 * sources). WebSocket clients speak the separator codec, TCP clients JSON lines:
 *
 * - `#join|<room>` / `{"type":"join","data":"<room>"}` joins a room, `leave` leaves it;
 * - `#say|<room>|<text>` / `{"type":"say","data":["<room>","<text>"]}` broadcasts
 *   `#msg|<text>` to that room;
 * - SSE streams on `/events/<room>` are in that room; a POST to `/events/<room>/msg` reaches it.
 *
 * It answers the runner's `stats` requests with its own memory and actor counts.
 */
import type { SoakServerCommand, SoakServerReply } from "./ipc.js";

// A computed specifier keeps the typecheck independent of a build; the types come from source.
const compiledEntry = new URL("../../dist/src/index.js", import.meta.url).href;
const { createBroker, separator } = (await import(compiledEntry)) as typeof import("switchboard");

function reply(message: SoakServerReply, then?: () => void): void {
  process.send?.(message, undefined, undefined, then);
}

if (!process.send) throw new Error("soak server: must be started by bench/soak/run.ts");
// The runner going away must take the server (and its thousands of sockets) with it.
process.on("disconnect", () => process.exit(0));

const broker = createBroker({
  port: 0,
  host: "127.0.0.1",
  protocol: separator("|"),
  tcp: { port: 0 },
});
let broadcasts = 0;
let deliveries = 0;

/** The room a frame names: a separator frame's first field, or a JSON frame's string data. */
const roomOf = (data: unknown): string | undefined => {
  const first = Array.isArray(data) ? data[0] : data;
  return typeof first === "string" && first !== "" ? first : undefined;
};

// Each handler twice: `#name` for separator frames, `name` for JSON frames.
for (const prefix of ["#", ""]) {
  broker.on(`${prefix}join`, (client, data) => {
    const room = roomOf(data);
    if (room !== undefined) client.join(room);
  });
  broker.on(`${prefix}leave`, (client, data) => {
    const room = roomOf(data);
    if (room !== undefined) client.leave(room);
  });
  broker.on(`${prefix}say`, (_client, data) => {
    const room = roomOf(data);
    if (room === undefined) return;
    const text = Array.isArray(data) ? String(data[1] ?? "") : "";
    broadcasts += 1;
    deliveries += broker.rooms.get(room)?.size ?? 0;
    broker.broadcast(`#msg|${text}`, { room });
  });
}

function sample(): SoakServerReply {
  // Two passes: the first can leave weak/finalizable objects for the second.
  globalThis.gc?.();
  globalThis.gc?.();
  const memory = process.memoryUsage();
  const snapshot = broker.inspect();
  const byTransport: Record<string, number> = {};
  for (const { transport } of snapshot.connections) {
    byTransport[transport] = (byTransport[transport] ?? 0) + 1;
  }
  return {
    type: "stats",
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    actors: snapshot.supervisor.connections,
    inspected: snapshot.connections.length,
    byTransport,
    handles: broker.clients.size,
    rooms: broker.rooms.size,
    broadcasts,
    deliveries,
    gc: globalThis.gc !== undefined,
  };
}

process.on("message", (message: SoakServerCommand) => {
  if (message.type === "stats") reply(sample());
});

broker.listen().then(
  ({ url, port, tcp }) =>
    reply({ type: "listening", url, origin: `http://127.0.0.1:${port}`, tcpPort: tcp?.port ?? 0 }),
  (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    reply({ type: "error", message: `soak server failed to start: ${text}` }, () =>
      process.exit(1),
    );
  },
);
