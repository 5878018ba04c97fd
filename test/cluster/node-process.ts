/**
 * Brokers of a test cluster in their own processes (test/cluster/node.ts): start one, drive it
 * through its stdin commands, read its presence and error events. Killed after each test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import type { ClusterClient, PresenceEvent } from "../../src/index.js";
import { Queue } from "../sse/sse-helpers.js";
import { REDIS_URL } from "./redis-helpers.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const START_LIMIT_MS = 15_000;
const COMMAND_LIMIT_MS = 10_000;

export interface NodeStats {
  readonly adapter: {
    readonly published: number;
    readonly received: number;
    readonly lost: number;
    readonly connected: boolean;
  };
}

/** One broker process. */
export interface ClusterNodeProcess {
  /** Its `broker.nodeId`. */
  readonly node: string;
  /** `ws://127.0.0.1:<port>/ws`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  readonly tcpPort: number;
  /** Its presence events, in order. */
  readonly presence: Queue<PresenceEvent>;
  /** Its error events' codes and messages. */
  readonly errors: { readonly code: string; readonly message: string }[];
  command<T = unknown>(cmd: string, ...args: unknown[]): Promise<T>;
  broadcast(payload: unknown, options?: { room?: string; except?: string[] }): Promise<unknown>;
  /** Its current local client ids. */
  clients(): Promise<string[]>;
  fetchClients(timeout: number): Promise<ClusterClient[]>;
  stats(): Promise<NodeStats>;
  /** Closes the broker (`broker.close()`) and waits for the process to exit. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();

afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});

/** Starts a broker process in cluster `prefix` and waits for its ready line. */
export async function startNode(prefix: string, redisUrl = REDIS_URL): Promise<ClusterNodeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/cluster/node.ts"], {
    cwd: root,
    env: { ...process.env, REDIS_URL: redisUrl, CLUSTER_PREFIX: prefix },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const presence = new Queue<PresenceEvent>();
  const errors: { code: string; message: string }[] = [];
  const replies = new Map<number, (line: { result?: unknown; error?: string }) => void>();
  let ready: (line: Record<string, unknown>) => void = () => {};
  const readyLine = new Promise<Record<string, unknown>>((resolve) => {
    ready = resolve;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    if (line.ready) ready(line);
    else if (line.event === "presence") presence.push(line.data as PresenceEvent);
    else if (line.event === "error") errors.push(line.data as { code: string; message: string });
    else if (typeof line.seq === "number") replies.get(line.seq)?.(line);
  });

  const started = await Promise.race([
    readyLine,
    exited.then(() => {
      throw new Error(`cluster node exited before it was ready:\n${stderr}`);
    }),
    new Promise<never>((_resolve, reject) =>
      setTimeout(
        () => reject(new Error(`cluster node not ready in ${START_LIMIT_MS} ms:\n${stderr}`)),
        START_LIMIT_MS,
      ),
    ),
  ]);

  let seq = 0;
  const command = <T>(cmd: string, ...args: unknown[]): Promise<T> => {
    seq += 1;
    const id = seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        replies.delete(id);
        reject(new Error(`no answer to ${cmd} within ${COMMAND_LIMIT_MS} ms:\n${stderr}`));
      }, COMMAND_LIMIT_MS);
      replies.set(id, (line) => {
        clearTimeout(timer);
        replies.delete(id);
        if (line.error !== undefined) reject(new Error(`${cmd} failed: ${line.error}`));
        else resolve(line.result as T);
      });
      child.stdin?.write(`${JSON.stringify({ seq: id, cmd, args })}\n`);
    });
  };

  const port = Number(started.ws);
  return {
    node: String(started.node),
    url: `ws://127.0.0.1:${port}/ws`,
    base: `http://127.0.0.1:${Number(started.http)}`,
    tcpPort: Number(started.tcp),
    presence,
    errors,
    command,
    broadcast: (payload, options = {}) => command("broadcast", payload, options),
    clients: () => command<string[]>("clients"),
    fetchClients: (timeout) => command<ClusterClient[]>("fetchClients", timeout),
    stats: () => command<NodeStats>("stats"),
    async close() {
      await command("close");
      await exited;
      running.delete(child);
    },
  };
}
