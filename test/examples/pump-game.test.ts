import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { GameEvents, GameState } from "../../examples/pump-game/protocol.js";
import { type Client, type CloseInfo, connect } from "../../src/client/index.js";

/** The repository root: examples run from here, as `npx tsx examples/...` does. */
const root = fileURLToPath(new URL("../../", import.meta.url));
const STARTUP_LIMIT_MS = 15_000;
/** At TICK_MS=20 a condition on the state holds within a few ticks; this is generous. */
const WAIT_LIMIT_MS = 5_000;
const TICK_MS = "20";
const LISTENING = /^listening on (ws:\/\/127\.0\.0\.1:(\d+)\/ws)$/;
/** The example client's line: `tick 40: 2 players, me at (12, 0)`. */
const CLIENT_LINE = /^tick (\d+): (\d+) players?, me at \((-?\d+), (-?\d+)\)$/;

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A child process running an example file, with its output and a way to wait on it. */
interface Script {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Resolves with the first stdout line (past or future) from index `from` matching `pattern`. */
  line(
    pattern: RegExp,
    what: string,
    from?: number,
  ): Promise<{ match: RegExpExecArray; index: number }>;
  lines(): readonly string[];
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const scripts = new Set<Script>();
const clients = new Set<Client<GameEvents>>();

afterEach(async () => {
  await Promise.all([...clients].map((client) => client.close()));
  clients.clear();
  await Promise.all([...scripts].map((script) => script.stop("SIGKILL")));
  scripts.clear();
});

/** Runs `node --import tsx <file>` from the repository root with `env` added. */
function run(file: string, env: Record<string, string>): Script {
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  // "close" comes after the last of stdout, unlike "exit".
  const closed = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const waiter of waiters) waiter();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });

  const script: Script = {
    child,
    exited,
    lines: () => lines,
    line(pattern, what, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let index = from; index < lines.length; index++) {
            const match = pattern.exec(lines[index] ?? "");
            if (match) return finish(() => resolve({ match, index }));
          }
        };
        const finish = (settle: () => void) => {
          waiters.delete(check);
          clearTimeout(limit);
          settle();
        };
        const fail = (why: string) => {
          const output = `--- stdout ---\n${lines.join("\n")}\n--- stderr ---\n${stderr}`;
          finish(() => reject(new Error(`${file}: ${why} waiting for ${what}\n${output}`)));
        };
        const limit = setTimeout(
          () => fail(`timed out after ${STARTUP_LIMIT_MS} ms`),
          STARTUP_LIMIT_MS,
        );
        waiters.add(check);
        check();
        // A process that has exited prints nothing more: fail now rather than at the limit.
        void closed.then(({ code, signal }) => {
          if (!waiters.has(check)) return;
          check();
          if (waiters.has(check)) fail(`exited (${code ?? signal})`);
        });
      });
    },
    async stop(signal = "SIGTERM") {
      scripts.delete(script);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  scripts.add(script);
  return script;
}

/** Starts the game server with a free port and 20 ms ticks. */
async function startServer() {
  const server = run("examples/pump-game/server.ts", { PORT: "0", TICK_MS });
  const { match } = await server.line(LISTENING, "the listening line");
  const [, url = "", port = ""] = match;
  return { server, url, port };
}

/** A player using the client library in-process; it learns its id from `welcome`. */
async function player(url: string) {
  const client = connect<GameEvents>(url, { reconnect: false, pump: false });
  clients.add(client);
  const welcome = new Promise<string>((resolve) => client.on("welcome", ({ id }) => resolve(id)));
  const id = await within(welcome, "a welcome");
  return { client, id };
}

/**
 * Resolves with the first state (from now on) that satisfies `condition`; fails after
 * WAIT_LIMIT_MS saying what it waited for and the last state seen.
 */
function stateWhere(
  client: Client<GameEvents>,
  condition: (state: GameState) => boolean,
  what: string,
): Promise<GameState> {
  let last: GameState | undefined;
  let listener: ((state: GameState) => void) | undefined;
  const found = new Promise<GameState>((resolve) => {
    listener = (state) => {
      last = state;
      if (condition(state)) resolve(state);
    };
    client.on("state", listener);
  });
  return within(found, what, () => `last state: ${JSON.stringify(last)}`).finally(() =>
    client.off("state", listener),
  );
}

/** `promise`, or a clear failure after WAIT_LIMIT_MS. */
function within<T>(promise: Promise<T>, what: string, detail = () => ""): Promise<T> {
  let limit: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    limit = setTimeout(
      () =>
        reject(new Error(`timed out after ${WAIT_LIMIT_MS} ms waiting for ${what}. ${detail()}`)),
      WAIT_LIMIT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(limit));
}

describe("examples/pump-game", () => {
  it("prints its listening line and broadcasts every player's position each tick", async () => {
    const { server, url } = await startServer();
    expect(server.lines()).toEqual([`listening on ${url}`]);
    const alice = await player(url);
    const bob = await player(url);
    expect(alice.id).not.toBe(bob.id);
    const both = (state: GameState) => alice.id in state.players && bob.id in state.players;
    const state = await stateWhere(alice.client, both, "a state with both players");
    expect(state.players).toEqual({ [alice.id]: { x: 0, y: 0 }, [bob.id]: { x: 0, y: 0 } });
    // Bob sees the same world, on a later tick.
    const seenByBob = await stateWhere(bob.client, (next) => next.tick > state.tick, "a new tick");
    expect(Object.keys(seenByBob.players).sort()).toEqual([alice.id, bob.id].sort());
  });

  it("applies every move sent since the last tick, one step per move at most", async () => {
    const { url } = await startServer();
    const alice = await player(url);
    const bob = await player(url);
    for (let n = 0; n < 3; n++) alice.client.send("move", { dx: 1, dy: 0 });
    bob.client.send("move", { dx: 0, dy: -1 });
    bob.client.send("move", { dx: 50, dy: 0.5 }); // clamped to one step right, no step down
    const moved = await stateWhere(
      alice.client,
      ({ players }) => players[alice.id]?.x === 3 && players[bob.id]?.x === 1,
      "alice at x=3 and bob at x=1",
    );
    expect(moved.players[alice.id]).toEqual({ x: 3, y: 0 });
    expect(moved.players[bob.id]).toEqual({ x: 1, y: -1 });
    // Nothing more was sent: the next tick leaves the world as it was.
    const next = await stateWhere(bob.client, ({ tick }) => tick > moved.tick, "the next tick");
    expect(next.players).toEqual(moved.players);
  });

  it("ignores moves it cannot read and events it does not know", async () => {
    const { url } = await startServer();
    const alice = await player(url);
    const odd = alice.client as unknown as Client; // untyped: send what GameEvents forbids
    odd.send("move", "north");
    odd.send("move", { dx: "1" });
    odd.send("jump", { dx: 1 });
    alice.client.send("move", { dx: -1, dy: 0 });
    const state = await stateWhere(
      alice.client,
      ({ players }) => players[alice.id]?.x === -1,
      "alice at x=-1",
    );
    expect(state.players[alice.id]).toEqual({ x: -1, y: 0 });
  });

  it("removes a player from the world once it disconnects", async () => {
    const { url } = await startServer();
    const alice = await player(url);
    const bob = await player(url);
    await stateWhere(alice.client, ({ players }) => bob.id in players, "bob in the world");
    await bob.client.close();
    const after = await stateWhere(
      alice.client,
      ({ players }) => !(bob.id in players),
      "a state without bob",
    );
    expect(Object.keys(after.players)).toEqual([alice.id]);
  });

  it("runs two example clients: positions advance, and a leaver disappears", async () => {
    const { port } = await startServer();
    const env = { PORT: port, FRAME_MS: TICK_MS, PRINT_EVERY: "5" };
    // Alice plays until stopped; once she has printed a line she is in the world.
    const alice = run("examples/pump-game/client.ts", { ...env, DX: "1", DY: "0" });
    await alice.line(CLIENT_LINE, "alice's first line");
    // Bob plays 20 states, then leaves on his own.
    const bob = run("examples/pump-game/client.ts", { ...env, DX: "0", DY: "1", MAX_TICKS: "20" });
    expect(await bob.exited).toEqual({ code: 0, signal: null });

    const bobLines = bob.lines().map((line) => parse(line, "bob"));
    expect(bobLines).toHaveLength(4); // states 5, 10, 15 and 20
    for (const line of bobLines) {
      expect(line.players).toBe(2); // alice was there all along
      expect(line.x).toBe(0);
    }
    // Bob walked down: y never goes back, and he got somewhere.
    const bobYs = bobLines.map((line) => line.y);
    expect(bobYs).toEqual([...bobYs].sort((a, b) => a - b));
    expect(bobYs.at(-1)).toBeGreaterThan(0);

    // Alice saw bob come and go: two players, then one again after he left.
    const withBob = await alice.line(/^tick \d+: 2 players, /, "alice seeing two players");
    await alice.line(/^tick \d+: 1 player, /, "alice alone again", withBob.index + 1);
    const aliceLines = alice.lines().map((line) => parse(line, "alice"));
    const xs = aliceLines.map((line) => line.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(xs.at(-1)).toBeGreaterThan(xs[0] ?? 0);
    expect(aliceLines.every((line) => line.y === 0)).toBe(true);

    // Ctrl-C ends the client's loop; it closes and exits 0.
    expect(await alice.stop("SIGINT")).toEqual({ code: 0, signal: null });
  });

  it("closes its players with 1001 and exits 0 on SIGTERM and SIGINT", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const { server, url } = await startServer();
      const alice = await player(url);
      const closed = new Promise<CloseInfo>((resolve) => alice.client.on("close", resolve));
      await stateWhere(alice.client, ({ players }) => alice.id in players, "alice in the world");
      expect(await server.stop(signal)).toEqual({ code: 0, signal: null });
      expect((await within(closed, "the close")).code).toBe(1001);
    }
  });
});

/** One line of the example client's output, parsed; fails on a line of another shape. */
function parse(line: string, who: string) {
  const match = CLIENT_LINE.exec(line);
  if (!match) throw new Error(`${who} printed an unexpected line: ${JSON.stringify(line)}`);
  const [tick = Number.NaN, players = Number.NaN, x = Number.NaN, y = Number.NaN] = match
    .slice(1)
    .map(Number);
  return { tick, players, x, y };
}
