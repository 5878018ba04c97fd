/**
 * Pump game client: a player with its own fixed-rate loop. Each frame it sends one move and
 * pulls everything the server sent since the last frame with `client.pump()`, as the ebsockets
 * seed's client does with `events, connected = client.pump()`. Every PRINT_EVERY states it prints
 * one line, e.g. `tick 40: 2 players, me at (12, 0)`.
 *
 *   npx tsx examples/pump-game/client.ts     # HOST (127.0.0.1), PORT (8899)
 *   DX=0 DY=-1 FRAME_MS=50 PRINT_EVERY=20 MAX_TICKS=200 npx tsx examples/pump-game/client.ts
 *
 * It stops after MAX_TICKS states (default: never) or on Ctrl-C, and exits 0; it exits 1 if it
 * cannot connect or the server drops it (0 when the server shuts down cleanly, close code 1001).
 */
import { connect } from "switchboard/client";
import type { GameEvents, GameState } from "./protocol.js";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8899);
const frameMs = positive("FRAME_MS", 50);
const printEvery = positive("PRINT_EVERY", 20);
const maxTicks = positive("MAX_TICKS", Number.POSITIVE_INFINITY);
const move = { dx: Number(process.env.DX ?? 1), dy: Number(process.env.DY ?? 0) };

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (Number.isFinite(value) && value > 0) return value;
  console.error(`${name} must be a number > 0, not ${text}`);
  process.exit(2);
}

// No reconnect: a new connection would be a new player (a new id); this example just stops.
const client = connect<GameEvents>(`ws://${host}:${port}/ws`, { reconnect: false });

/** This player's id, from the server's `welcome`. */
let me: string | undefined;
/** The newest world the server sent: what a game would draw this frame. */
let latest: GameState | undefined;
let states = 0;
let stopping = false;

client.on("open", () => console.error(`connected to ${client.url}`));
client.on("error", (error) => console.error(`error: ${error.message}`));
client.on("close", ({ code, reason }) => {
  if (stopping) return;
  console.error(`disconnected (${code}${reason ? ` ${reason}` : ""})`);
  stop(code === 1001 ? 0 : 1);
});

const loop = setInterval(frame, frameMs);

/** One frame: input out, then everything received since the previous frame. */
function frame(): void {
  // Only once open: moves sent while connecting would be queued and all land in one tick.
  if (client.state === "open") client.send("move", move);
  for (const event of client.pump()) {
    if (event.type === "welcome") me = event.data.id;
    if (event.type !== "state") continue;
    latest = event.data;
    states += 1;
    if (states % printEvery === 0) console.log(summary(latest));
    if (states >= maxTicks) {
      stop(0);
      return;
    }
  }
}

function summary(state: GameState): string {
  const count = Object.keys(state.players).length;
  const position = me === undefined ? undefined : state.players[me];
  const where = position ? `me at (${position.x}, ${position.y})` : "me not in the world";
  return `tick ${state.tick}: ${count} ${count === 1 ? "player" : "players"}, ${where}`;
}

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  clearInterval(loop);
  void client.close().then(() => process.exit(code));
}

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop(0));
