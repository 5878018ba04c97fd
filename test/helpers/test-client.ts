import WebSocket from "ws";

/** How a test client's socket closed. */
export interface ClosedWith {
  readonly code: number;
  readonly reason: string;
}

/**
 * A real `ws` client for tests that turns pushed frames into awaitable ones: `next()` resolves
 * with the next text frame (queued if it came earlier), `closed` with the close code.
 */
export interface TestClient {
  readonly socket: WebSocket;
  /** The subprotocol the server picked ("" for none). */
  readonly protocol: string;
  send(frame: string | Buffer, options?: { binary?: boolean }): void;
  /** The next text frame; rejects after `timeoutMs` so a missing frame fails the test clearly. */
  next(timeoutMs?: number): Promise<string>;
  /** The next frame parsed as JSON. */
  nextJson<T = unknown>(timeoutMs?: number): Promise<T>;
  /** Every frame received so far and not yet taken by `next()`. */
  readonly pending: string[];
  readonly closed: Promise<ClosedWith>;
  close(code?: number, reason?: string): void;
}

export interface ConnectOptions {
  readonly protocols?: string | string[];
  readonly autoPong?: boolean;
  /** Extra request headers for the upgrade (e.g. `authorization`). */
  readonly headers?: Record<string, string>;
}

export async function connectClient(
  url: string,
  options: ConnectOptions = {},
): Promise<TestClient> {
  const socket = new WebSocket(url, options.protocols, {
    autoPong: options.autoPong ?? true,
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const pending: string[] = [];
  const waiters: Array<(frame: string) => void> = [];
  socket.on("message", (data) => {
    const frame = data.toString();
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else pending.push(frame);
  });
  const closed = new Promise<ClosedWith>((resolve) => {
    socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`Unexpected response ${response.statusCode}`)),
    );
  });
  socket.on("error", () => {
    // Errors after open surface as a close; the tests assert on `closed`.
  });

  const next = (timeoutMs = 5_000) =>
    new Promise<string>((resolve, reject) => {
      const queued = pending.shift();
      if (queued !== undefined) {
        resolve(queued);
        return;
      }
      const timer = setTimeout(() => {
        const index = waiters.indexOf(take);
        if (index >= 0) waiters.splice(index, 1);
        reject(new Error(`No frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const take = (frame: string) => {
        clearTimeout(timer);
        resolve(frame);
      };
      waiters.push(take);
    });

  return {
    socket,
    protocol: socket.protocol,
    send: (frame, sendOptions) => socket.send(frame, { binary: sendOptions?.binary ?? false }),
    next,
    nextJson: async <T>(timeoutMs?: number) => JSON.parse(await next(timeoutMs)) as T,
    pending,
    closed,
    close: (code, reason) => socket.close(code, reason),
  };
}
