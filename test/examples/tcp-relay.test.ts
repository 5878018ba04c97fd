import { type ChildProcess, spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { changed, until } from "../helpers/condition.js";

/** The repository root: examples run from here, as `npx tsx examples/...` does. */
const root = fileURLToPath(new URL("../../", import.meta.url));
const STARTUP_LIMIT_MS = 15_000;

const children = new Set<ChildProcess>();
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all([...children].map((child) => stop(child, "SIGKILL")));
  children.clear();
});

/** A child's stdout, growing, and a way to wait for a line matching a pattern. */
interface Output {
  text(): string;
  match(pattern: RegExp): Promise<RegExpExecArray>;
}

function watch(child: ChildProcess): Output {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    changed();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return {
    text: () => stdout,
    match: (pattern) =>
      until(() => pattern.exec(stdout) ?? undefined, `${pattern}`, STARTUP_LIMIT_MS).catch(
        (error: Error) => {
          throw new Error(`${error.message}\n--- stdout ---\n${stdout}--- stderr ---\n${stderr}`);
        },
      ),
  };
}

function run(file: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  children.add(child);
  return child;
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function exited(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<Exit> {
  const exit = exited(child);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  return exit;
}

/** Starts the relay with free ports; resolves with its TCP port once both lines are out. */
async function startRelay() {
  const child = run("examples/tcp-relay/server.ts", { PORT: "0", TCP_PORT: "0" });
  const output = watch(child);
  await output.match(/^listening on ws:\/\/127\.0\.0\.1:\d+\/ws$/m);
  const [, port] = await output.match(/^listening on tcp:\/\/127\.0\.0\.1:(\d+)$/m);
  return { child, output, port: Number(port) };
}

/** A raw TCP client collecting lines. */
async function rawClient(port: number) {
  const socket = connect({ port, host: "127.0.0.1" });
  sockets.add(socket);
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  const lines: string[] = [];
  let partial = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    changed();
  });
  return {
    socket,
    lines,
    line: (index: number) => until(() => lines[index], `line #${index}`),
    send: (frame: unknown) => socket.write(`${JSON.stringify(frame)}\n`),
    ended: new Promise<void>((resolve) => socket.once("end", resolve)),
  };
}

describe("examples/tcp-relay", () => {
  it("relays a message line from one raw TCP client to every client", async () => {
    const { port } = await startRelay();
    const alice = await rawClient(port);
    const bob = await rawClient(port);
    alice.send({ type: "message", data: "hello from alice" });
    for (const client of [alice, bob]) {
      expect(JSON.parse(await client.line(0))).toEqual({
        type: "message",
        data: "hello from alice",
      });
    }
    bob.send({ type: "message", data: "héllo 🎉" });
    for (const client of [alice, bob]) {
      expect(JSON.parse(await client.line(1))).toEqual({ type: "message", data: "héllo 🎉" });
    }
  });

  it("answers a malformed line with a bad_frame error and keeps the client", async () => {
    const { port } = await startRelay();
    const client = await rawClient(port);
    client.socket.write("not json\n");
    expect(JSON.parse(await client.line(0))).toMatchObject({
      type: "error",
      data: { code: "bad_frame" },
    });
    client.send({ type: "message", data: "still here" });
    expect(JSON.parse(await client.line(1))).toEqual({ type: "message", data: "still here" });
  });

  it("sends stdin lines from the terminal client and prints what it receives", async () => {
    const { port } = await startRelay();
    const peer = await rawClient(port);
    const terminal = run("examples/tcp-relay/client.ts", { TCP_PORT: String(port) });
    const printed = watch(terminal);
    // Written before the client has connected: node:net queues it until the socket is up.
    terminal.stdin?.write("typed in a terminal\n");
    expect(JSON.parse(await peer.line(0))).toEqual({
      type: "message",
      data: "typed in a terminal",
    });
    peer.send({ type: "message", data: "back to the terminal" });
    await printed.match(/^back to the terminal$/m);
    // End of stdin hangs up, and the client exits by itself once the socket has closed.
    const exit = exited(terminal);
    terminal.stdin?.end();
    expect(await exit).toEqual({ code: 0, signal: null });
  });

  it("closes TCP clients with a 1001 close line on SIGTERM and exits 0", async () => {
    const { child, port } = await startRelay();
    const client = await rawClient(port);
    client.send({ type: "message", data: "ping?" });
    await client.line(0);
    expect(await stop(child)).toEqual({ code: 0, signal: null });
    await client.ended;
    expect(JSON.parse(client.lines.at(-1) ?? "")).toMatchObject({
      type: "close",
      data: { code: 1001 },
    });
  });
});
