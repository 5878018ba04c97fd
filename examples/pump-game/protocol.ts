/**
 * The pump-game's wire protocol (JSON codec: `{"type": …, "data": …}` both ways), shared by the
 * server and the client so both sides agree on the shapes.
 */

/** A step a player asks for; each of `dx` and `dy` is clamped to -1..1 by the server. */
export interface Move {
  readonly dx: number;
  readonly dy: number;
}

export interface Position {
  readonly x: number;
  readonly y: number;
}

/** The whole world after a tick: every connected player's position, by client id. */
export interface GameState {
  readonly tick: number;
  readonly players: Readonly<Record<string, Position>>;
}

/** Sent once to each new player, on the first tick after it connected. */
export interface Welcome {
  readonly id: string;
  readonly tick: number;
}

/** Every event, by name: `move` goes to the server; `welcome` and `state` come back. */
export interface GameEvents {
  move: Move;
  welcome: Welcome;
  state: GameState;
}

/** A move's data as the server reads it: anything else (a string, NaN, missing fields) is no move. */
export function readMove(data: unknown): Move | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const { dx = 0, dy = 0 } = data as { dx?: unknown; dy?: unknown };
  if (typeof dx !== "number" || typeof dy !== "number") return undefined;
  if (!Number.isFinite(dx) || !Number.isFinite(dy)) return undefined;
  return { dx: step(dx), dy: step(dy) };
}

/** One step at most per move, so no client can teleport: -1, 0 or 1. */
function step(delta: number): number {
  return Math.sign(Math.trunc(delta));
}
