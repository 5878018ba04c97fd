/**
 * Pump game: a fixed-rate game loop that pulls its input with `broker.pump()` instead of
 * reacting to each frame. Every tick it takes everything that happened since the last one
 * (players who joined, their moves, players who left), updates a tiny world and broadcasts it:
 *
 *   npx tsx examples/pump-game/server.ts     # PORT=0 picks a free port, TICK_MS=20 ticks faster
 *   npx tsx examples/pump-game/client.ts     # in a few other terminals: each is a player
 *
 * Clients speak the JSON codec: they send `{"type":"move","data":{"dx":1,"dy":0}}` and get
 * `{"type":"welcome","data":{"id":"…","tick":3}}` once, then after every tick
 * `{"type":"state","data":{"tick":4,"players":{"<id>":{"x":1,"y":0}}}}`.
 *
 * Ported from the ebsockets seed's server loop: `new_clients, new_events, disconnected =
 * system.pump()`, once per frame.
 */
import { createBroker, json } from "switchboard";
import { type GameState, type Position, readMove } from "./protocol.js";

const tickMs = Number(process.env.TICK_MS ?? 50);
if (!(Number.isFinite(tickMs) && tickMs > 0)) {
  console.error(`TICK_MS must be a number of ms > 0, not ${process.env.TICK_MS}`);
  process.exit(2);
}

// JSON by default: a game's messages are structured. No listener is registered for `move`: the
// loop below pulls it. (Unheard events are still recorded for pump(); nothing answers them.)
const broker = createBroker({ port: Number(process.env.PORT ?? 8899), protocol: json() });

/** The world: one position per connected player, by client id. */
const players = new Map<string, Position>();
let tick = 0;

// The first pump() starts recording, so nobody who connects from now on is missed.
broker.pump();

// A broker timer is a child actor of the supervisor: close() stops it before the clients go.
broker.setInterval(() => {
  const { connected, events, disconnected, dropped } = broker.pump();
  tick += 1;
  if (dropped > 0) console.error(`tick ${tick}: ${dropped} events dropped (the loop fell behind)`);

  for (const client of connected) {
    players.set(client.id, { x: 0, y: 0 });
    client.send({ type: "welcome", data: { id: client.id, tick } });
  }
  // All moves since the last tick, in arrival order; a player may send several per tick.
  for (const { client, event, data } of events) {
    const player = players.get(client.id);
    const move = event === "move" ? readMove(data) : undefined;
    if (player && move) players.set(client.id, { x: player.x + move.dx, y: player.y + move.dy });
  }
  // Last: a player that moved and then left within the same tick is gone.
  for (const { client } of disconnected) players.delete(client.id);

  const state: GameState = { tick, players: Object.fromEntries(players) };
  broker.broadcast({ type: "state", data: state });
}, tickMs);

const { url } = await broker.listen();
console.log(`listening on ${url}`);

// close() drains: the timer stops, clients get 1001, the port is freed; then exit 0.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void broker.close().then(() => process.exit(0)));
}
