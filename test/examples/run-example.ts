import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

/** The repository root: examples run from here, as `npx tsx examples/<name>/server.ts` does. */
const root = fileURLToPath(new URL("../../", import.meta.url));

/** The line every example prints once it is listening; the URL carries the real port. */
const LISTENING = /^listening on (ws:\/\/127\.0\.0\.1:(\d+)\/ws)$/;

/** How long an example may take to print its line before the test fails with its stderr. */
const STARTUP_LIMIT_MS = 15_000;

export type ExampleName = "echo" | "chat" | "better-chat" | "rooms-chat";

/**
 * How to start it: `node --import tsx` is one process, so signals reach the example itself;
 * `npm-start` runs `npm start` (npm -> sh -> tsx -> node) in its own process group.
 */
export type Launcher = "node" | "npm-start";

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunningExample {
  readonly url: string;
  readonly port: number;
  /** Everything the example wrote to stdout so far. */
  stdout(): string;
  /** Resolves with the first stdout line (already printed or to come) matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (to the whole group for `npm-start`) and resolves when the process exits. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const running = new Set<RunningExample>();

afterEach(async () => {
  const examples = [...running];
  running.clear();
  await Promise.all(examples.map((example) => example.stop()));
});

/**
 * Runs an example as a child process with PORT=0 and resolves once it prints its listening
 * line; the child is stopped after the test.
 */
export function startExample(
  name: ExampleName,
  launcher: Launcher = "node",
): Promise<RunningExample> {
  const env = { ...process.env, PORT: "0" };
  const child =
    launcher === "node"
      ? spawn(process.execPath, ["--import", "tsx", `examples/${name}/server.ts`], {
          cwd: root,
          env,
        })
      : spawn("npm", ["start", "--silent"], { cwd: root, env, detached: true });
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });

  let stdout = "";
  let stderr = "";
  const lineWatchers = new Set<(line: string) => boolean>();
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });

  const example: RunningExample & { url: string; port: number } = {
    url: "",
    port: 0,
    stdout: () => stdout,
    line: (pattern, timeoutMs = STARTUP_LIMIT_MS) =>
      new Promise<string>((resolve, reject) => {
        const seen = stdout.split("\n").find((line) => pattern.test(line));
        if (seen !== undefined) {
          resolve(seen);
          return;
        }
        const timer = setTimeout(() => {
          lineWatchers.delete(watch);
          reject(new Error(`examples/${name} printed no line matching ${pattern}\n${stdout}`));
        }, timeoutMs);
        const watch = (line: string) => {
          if (!pattern.test(line)) return false;
          clearTimeout(timer);
          resolve(line);
          return true;
        };
        lineWatchers.add(watch);
      }),
    async stop(signal = "SIGTERM") {
      running.delete(example);
      if (child.exitCode === null && child.signalCode === null)
        signalChild(child, launcher, signal);
      return exited;
    },
  };
  running.add(example);

  return new Promise<RunningExample>((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(limit);
      void example.stop("SIGKILL");
      reject(
        new Error(`examples/${name} ${why}\n--- stdout ---\n${stdout}--- stderr ---\n${stderr}`),
      );
    };
    const limit = setTimeout(
      () => fail(`printed no listening line within ${STARTUP_LIMIT_MS} ms`),
      STARTUP_LIMIT_MS,
    );
    child.once("error", (error) => fail(`could not start: ${error.message}`));
    child.once("exit", (code, signal) => fail(`exited (${code ?? signal}) before listening`));

    let partial = "";
    child.stdout?.on("data", (chunk: string) => {
      stdout += chunk;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        for (const watch of lineWatchers) if (watch(line)) lineWatchers.delete(watch);
        const match = LISTENING.exec(line);
        if (!match || settled) continue;
        settled = true;
        clearTimeout(limit);
        example.url = match[1] ?? "";
        example.port = Number(match[2]);
        resolve(example);
      }
    });
  });
}

function signalChild(child: ChildProcess, launcher: Launcher, signal: NodeJS.Signals): void {
  try {
    // npm and tsx each relay signals their own way; the group gets it to every one of them.
    if (launcher === "npm-start" && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone between the check and the kill.
  }
}
