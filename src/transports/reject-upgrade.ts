import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/** Answers a refused upgrade with a plain HTTP response (plus `headers`) and closes the socket. */
export function rejectUpgrade(
  socket: Duplex,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  // A peer that resets mid-answer must not surface as an unhandled 'error'.
  socket.on("error", () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // The HTTP server keeps upgrade sockets half-open (allowHalfOpen): once the answer is flushed,
  // close our side for good, or a client that never closes its own would hold the socket forever.
  socket.once("finish", () => socket.destroy());
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
      "Connection: close\r\n" +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join("") +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `\r\n${body}`,
  );
}
