import { connect, type Socket } from "node:net";

/** A raw TCP client that speaks newline-delimited JSON, with awaitable incoming lines. */
export interface LineClient {
  readonly socket: Socket;
  /** Writes one line (an object is sent as its JSON text). */
  send(frame: unknown): void;
  /** Writes raw bytes as they are (to split or coalesce lines across packets). */
  write(bytes: string | Buffer): Promise<void>;
  /** The next line parsed as JSON; rejects after `timeoutMs`. */
  next<T = unknown>(timeoutMs?: number): Promise<T>;
  /** Resolves when the server ends or resets the connection. */
  readonly ended: Promise<void>;
}

export async function connectLines(
  port: number,
  options: { autoPong?: boolean } = {},
): Promise<LineClient> {
  const socket = connect({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {
    // A reset surfaces as `ended`.
  });
  const lines: unknown[] = [];
  const waiters: Array<(line: unknown) => void> = [];
  let pending = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
      const line = JSON.parse(pending.slice(0, end)) as { type?: string };
      pending = pending.slice(end + 1);
      if (line.type === "ping" && (options.autoPong ?? true)) {
        socket.write('{"type":"pong"}\n');
        continue;
      }
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    socket,
    send: (frame) => socket.write(`${typeof frame === "string" ? frame : JSON.stringify(frame)}\n`),
    write: (bytes) => new Promise<void>((resolve) => socket.write(bytes, () => resolve())),
    next: <T>(timeoutMs = 5_000) =>
      new Promise<T>((resolve, reject) => {
        if (lines.length > 0) {
          resolve(lines.shift() as T);
          return;
        }
        const timer = setTimeout(
          () => reject(new Error(`No line within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push((line) => {
          clearTimeout(timer);
          resolve(line as T);
        });
      }),
    ended,
  };
}
