import { request } from "node:http";
import WebSocket from "ws";

/** What a refused (or accepted) HTTP exchange looked like. */
export interface Probe {
  readonly status: number;
  readonly body: string;
}

/**
 * Sends one request and resolves with its status and body. A `text/event-stream` answer is
 * not read to its end (it never ends): the status is enough, and the request is aborted.
 */
export function probe(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers },
      (response) => {
        const status = response.statusCode ?? 0;
        if (String(response.headers["content-type"]).startsWith("text/event-stream")) {
          resolve({ status, body: "" });
          req.destroy();
          return;
        }
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Attempts a WebSocket handshake: the HTTP status of a refusal, or 101 once open. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => {
      socket.close();
      resolve(101);
    });
    socket.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
    });
    socket.once("error", reject);
  });
}

/** A WebSocket opened with extra handshake headers (an `Authorization`, an `Origin`). */
export function openWith(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => resolve(socket));
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`Unexpected response ${response.statusCode}`)),
    );
    socket.once("error", reject);
  });
}
