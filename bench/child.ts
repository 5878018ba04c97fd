/**
 * A forked benchmark process and the request/reply exchange with it.
 *
 * Children are started as plain `node --import tsx <script>` rather than via
 * the `tsx` CLI, so the pid we hold is the process doing the work and a kill
 * cannot leave an orphaned grandchild holding thousands of sockets. Every
 * child ever started is tracked so that the runner can kill whatever is left
 * on any exit path (normal, error, timeout, Ctrl-C).
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isTagged, type Tagged } from "./ipc.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const STDERR_TAIL_BYTES = 4_000;

const live = new Set<ChildProcess>();

/** Kills every child still running; synchronous so it is safe in an `exit` handler. */
export function killAllChildren(): void {
  for (const proc of live) proc.kill("SIGKILL");
  live.clear();
}

interface Waiter {
  expect: string;
  resolve: (message: Tagged) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One child process. `Command` and `Reply` are the message unions of its
 * side of `ipc.ts`; replies are matched by their `type`.
 */
export class Child<Command extends Tagged, Reply extends Tagged> {
  readonly name: string;
  readonly #proc: ChildProcess;
  readonly #inbox: Tagged[] = [];
  #waiter: Waiter | undefined;
  #exit: Error | undefined;
  #stderr = "";

  constructor(
    name: string,
    script: string,
    nodeFlags: readonly string[] = [],
    args: readonly string[] = [],
  ) {
    this.name = name;
    this.#proc = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
      cwd: ROOT, // `--import tsx` resolves from here
      execArgv: ["--import", "tsx", ...nodeFlags],
      // stdout is dropped so a chatty server cannot garble the table; stderr is
      // kept (tail only) to explain a crash.
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    live.add(this.#proc);
    this.#proc.stderr?.setEncoding("utf8");
    this.#proc.stderr?.on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.#proc.on("message", (message: unknown) => {
      if (isTagged(message)) this.#deliver(message);
    });
    this.#proc.on("error", (error) => this.#fail(new Error(`${name}: ${error.message}`)));
    this.#proc.on("exit", (code, signal) => {
      live.delete(this.#proc);
      const how = signal === null ? `code ${code}` : `signal ${signal}`;
      const tail = this.#stderr.trim();
      // Lead with the error line of a crash, so a one-line summary still says why.
      const cause = /^\w*Error\b.*$/m.exec(tail)?.[0];
      const summary = `${name} exited (${how})${cause ? `: ${cause}` : ""}`;
      this.#fail(new Error(tail ? `${summary}\nstderr:\n${tail}` : summary));
    });
  }

  /** Waits for the next reply, which must be of type `expect`. */
  next<T extends Reply["type"]>(
    expect: T,
    timeoutMs: number,
  ): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.#waiter) {
        reject(new Error(`${this.name}: a reply is already awaited`));
        return;
      }
      const timer = setTimeout(
        () => {
          this.#waiter = undefined;
          reject(
            new Error(`${this.name}: no "${expect}" reply within ${Math.round(timeoutMs)} ms`),
          );
        },
        Math.max(0, timeoutMs),
      );
      this.#waiter = {
        expect,
        // The child is our own script speaking the `ipc.ts` protocol; past the
        // `type` check its payload is trusted rather than validated field by field.
        resolve: (message) => resolve(message as Extract<Reply, { type: T }>),
        reject,
        timer,
      };
      this.#drain();
    });
  }

  /** Sends a command and waits for its reply. */
  request<T extends Reply["type"]>(
    command: Command,
    expect: T,
    timeoutMs: number,
  ): Promise<Extract<Reply, { type: T }>> {
    if (this.#exit) return Promise.reject(this.#exit);
    const reply = this.next(expect, timeoutMs);
    this.#proc.send(command);
    return reply;
  }

  /** The process id (undefined if the fork failed). */
  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** Sends a command that has no reply. */
  send(command: Command): void {
    if (!this.#exit) this.#proc.send(command);
  }

  /** Resolves true once the child has exited by itself, false after `timeoutMs`. */
  exited(timeoutMs: number): Promise<boolean> {
    if (this.#gone()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
      this.#proc.once("exit", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #gone(): boolean {
    return this.#proc.exitCode !== null || this.#proc.signalCode !== null;
  }

  /** Kills the child (if still running) and resolves once it is gone. */
  kill(): Promise<void> {
    if (this.#gone()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#proc.once("exit", () => resolve());
      this.#proc.kill("SIGKILL");
    });
  }

  #deliver(message: Tagged): void {
    this.#inbox.push(message);
    this.#drain();
  }

  #drain(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    const message = this.#inbox.shift();
    if (message === undefined) {
      if (this.#exit) this.#settle(waiter, this.#exit);
      return;
    }
    if (message.type === waiter.expect) {
      this.#settle(waiter, undefined, message);
    } else if (message.type === "error" && "message" in message) {
      this.#settle(waiter, new Error(`${this.name}: ${String(message.message)}`));
    } else {
      this.#settle(
        waiter,
        new Error(`${this.name}: expected "${waiter.expect}", got "${message.type}"`),
      );
    }
  }

  #settle(waiter: Waiter, error: Error | undefined, message?: Tagged): void {
    clearTimeout(waiter.timer);
    this.#waiter = undefined;
    if (error) waiter.reject(error);
    else if (message) waiter.resolve(message);
  }

  #fail(error: Error): void {
    this.#exit ??= error;
    this.#drain();
  }
}
