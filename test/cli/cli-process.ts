import { type ChildProcess, spawn } from "node:child_process";
import { get, request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { readText } from "../../src/cli/http.js";

/** The repository root: the bin and the examples run from here. */
const root = fileURLToPath(new URL("../../", import.meta.url));

/** How long a test waits for an expected line or exit before failing with what it waited for. */
export const WAIT_LIMIT_MS = 10_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type StreamName = "stdout" | "stderr";

export interface WaitOptions {
  readonly stream?: StreamName;
  /** Only lines from this index on count (see `lineCount`), e.g. "the next `connected`". */
  readonly from?: number;
  readonly timeoutMs?: number;
}

/** A running child process whose output is read line by line. */
export interface Spawned {
  readonly label: string;
  /** The complete lines written to a stream so far. */
  lines(stream?: StreamName): readonly string[];
  lineCount(stream?: StreamName): number;
  /** Everything written to a stream so far. */
  text(stream?: StreamName): string;
  /**
   * Resolves with the first line (at or after `from`) matching `pattern`; rejects after the
   * time limit, or as soon as the process exits without printing it, with both outputs.
   */
  waitForLine(pattern: RegExp, options?: WaitOptions): Promise<RegExpExecArray>;
  readonly exited: Promise<Exit>;
  /** Sends `signal` (if still running) and resolves with how it exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const running = new Set<Spawned>();

afterEach(async () => {
  const children = [...running];
  running.clear();
  await Promise.all(children.map((child) => child.stop("SIGKILL")));
});

interface Watcher {
  readonly stream: StreamName;
  readonly from: number;
  readonly pattern: RegExp;
  readonly resolve: (match: RegExpExecArray) => void;
  readonly reject: (error: Error) => void;
}

/** Spawns `node <args>` in the repository root; the child is killed after the test. */
export function spawnNode(
  label: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Spawned {
  const child = spawn(process.execPath, [...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return watch(label, child);
}

/** Spawns the real `switchboard` bin with `args`; the child is killed after the test. */
export function spawnCli(args: readonly string[]): Spawned {
  return spawnNode(`switchboard ${args.join(" ")}`, ["bin/switchboard.js", ...args]);
}

function watch(label: string, child: ChildProcess): Spawned {
  const output: Record<StreamName, { text: string; lines: string[]; partial: string }> = {
    stdout: { text: "", lines: [], partial: "" },
    stderr: { text: "", lines: [], partial: "" },
  };
  let watchers: Watcher[] = [];
  let exit: Exit | undefined;

  const describe = () =>
    `${label}\n--- stdout ---\n${output.stdout.text}--- stderr ---\n${output.stderr.text}` +
    (exit ? `--- exited: ${exit.code ?? exit.signal}` : "");

  const check = (watcher: Watcher): boolean => {
    const lines = output[watcher.stream].lines;
    for (let index = watcher.from; index < lines.length; index += 1) {
      const match = watcher.pattern.exec(lines[index] ?? "");
      if (match) {
        watcher.resolve(match);
        return true;
      }
    }
    return false;
  };

  for (const stream of ["stdout", "stderr"] as const) {
    const source = child[stream];
    source?.setEncoding("utf8");
    source?.on("data", (chunk: string) => {
      const state = output[stream];
      state.text += chunk;
      const parts = (state.partial + chunk).split("\n");
      state.partial = parts.pop() ?? "";
      state.lines.push(...parts);
      watchers = watchers.filter((watcher) => !check(watcher));
    });
  }

  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      for (const stream of ["stdout", "stderr"] as const) {
        const state = output[stream];
        if (state.partial !== "") state.lines.push(state.partial);
        state.partial = "";
      }
      exit = { code, signal };
      watchers = watchers.filter((watcher) => !check(watcher));
      for (const watcher of watchers) {
        watcher.reject(new Error(`Exited before printing ${watcher.pattern}: ${describe()}`));
      }
      watchers = [];
      resolve(exit);
    });
  });

  const spawned: Spawned = {
    label,
    lines: (stream = "stdout") => output[stream].lines,
    lineCount: (stream = "stdout") => output[stream].lines.length,
    text: (stream = "stdout") => output[stream].text,
    waitForLine(pattern, options = {}) {
      const { stream = "stdout", from = 0, timeoutMs = WAIT_LIMIT_MS } = options;
      return new Promise<RegExpExecArray>((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers = watchers.filter((candidate) => candidate !== watcher);
          reject(
            new Error(
              `No ${stream} line matching ${pattern} within ${timeoutMs} ms: ${describe()}`,
            ),
          );
        }, timeoutMs);
        const watcher: Watcher = {
          stream,
          from,
          pattern,
          resolve: (match) => {
            clearTimeout(timer);
            resolve(match);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        if (check(watcher)) return;
        if (exit) {
          watcher.reject(new Error(`Exited before printing ${pattern}: ${describe()}`));
          return;
        }
        watchers.push(watcher);
      });
    },
    exited,
    async stop(signal = "SIGTERM") {
      running.delete(spawned);
      if (exit === undefined && child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
      return exited;
    },
  };
  running.add(spawned);
  return spawned;
}

export interface Finished extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the bin to completion; fails the test if it runs past the time limit. */
export async function runCli(args: readonly string[]): Promise<Finished> {
  const spawned = spawnCli(args);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      void spawned.stop("SIGKILL");
      reject(new Error(`Still running after ${WAIT_LIMIT_MS} ms: ${spawned.label}`));
    }, WAIT_LIMIT_MS);
  });
  try {
    const exit = await Promise.race([spawned.exited, limit]);
    return { ...exit, stdout: spawned.text("stdout"), stderr: spawned.text("stderr") };
  } finally {
    clearTimeout(timer);
  }
}

/** The line `listen` prints once it is ready; it carries the bound port. */
export const LISTENING =
  /^listening on (ws:\/\/127\.0\.0\.1:(\d+)\/ws) and http:\/\/127\.0\.0\.1:\d+\/events\/<channel>$/;

export interface RunningListen {
  readonly process: Spawned;
  readonly port: number;
  /** The WebSocket endpoint. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
}

/** Starts `switchboard listen -P 0 <args>` (or a given `-P`) and waits for its listening line. */
export async function startListen(args: readonly string[] = []): Promise<RunningListen> {
  const withPort = args.includes("-P") ? args : ["-P", "0", ...args];
  const listen = spawnCli(["listen", ...withPort]);
  const match = await listen.waitForLine(LISTENING);
  const port = Number(match[2]);
  return { process: listen, port, url: match[1] ?? "", base: `http://127.0.0.1:${port}` };
}

/**
 * Starts `switchboard client -d <args>` and waits until its stream is open (the `-d` line
 * `debug: connected to …`), so what is posted next reaches it.
 */
export async function startClient(args: readonly string[]): Promise<Spawned> {
  const client = spawnCli(["client", "-d", ...args]);
  await client.waitForLine(/^debug: connected to /, { stream: "stderr" });
  return client;
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("No port");
  return address.port;
}

/** POSTs `body` to a URL from the test itself (faster than spawning `request`). */
export function post(
  url: string,
  body: string,
  contentType = "text/plain",
): Promise<{ readonly status: number; readonly body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      { method: "POST", agent: false, headers: { "Content-Type": contentType } },
      (response) => {
        readText(response).then(
          (text) => resolve({ status: response.statusCode ?? 0, body: text }),
          reject,
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/** A raw event stream read by the test: its text as it arrives, and when it ends. */
export interface RawStream {
  readonly status: number;
  text(): string;
  /** Resolves once the text received so far matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

const streams = new Set<RawStream>();

afterEach(() => {
  for (const stream of streams) stream.close();
  streams.clear();
});

/** GETs `url` as an event stream; closed after the test. */
export function openRawStream(
  url: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const outgoing = get(
      url,
      { agent: false, headers: { Accept: "text/event-stream", ...headers } },
      (response) => {
        let text = "";
        let waiters: Array<() => void> = [];
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
          for (const waiter of waiters) waiter();
        });
        response.on("error", () => {});
        const ended = new Promise<void>((resolveEnd) => response.once("end", resolveEnd));
        const stream: RawStream = {
          status: response.statusCode ?? 0,
          text: () => text,
          ended,
          close: () => outgoing.destroy(),
          waitFor: (pattern, timeoutMs = WAIT_LIMIT_MS) =>
            new Promise((resolveMatch, rejectMatch) => {
              const attempt = () => {
                const match = pattern.exec(text);
                if (!match) return;
                clearTimeout(timer);
                waiters = waiters.filter((waiter) => waiter !== attempt);
                resolveMatch(match);
              };
              const timer = setTimeout(() => {
                waiters = waiters.filter((waiter) => waiter !== attempt);
                rejectMatch(
                  new Error(`No ${pattern} in the stream within ${timeoutMs} ms:\n${text}`),
                );
              }, timeoutMs);
              waiters.push(attempt);
              attempt();
            }),
        };
        streams.add(stream);
        resolve(stream);
      },
    );
    outgoing.on("error", reject);
  });
}
