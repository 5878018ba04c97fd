import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/** Answers a refused upgrade with a plain HTTP response and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  // A peer that resets mid-answer must not surface as an unhandled 'error'.
  socket.on("error", () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
      "Connection: close\r\n" +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `\r\n${body}`,
  );
}
