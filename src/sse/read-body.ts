import type { IncomingMessage } from "node:http";

export type BodyResult = { readonly ok: true; readonly text: string } | { readonly ok: false };

/**
 * Reads a request body as UTF-8, refusing (without buffering the rest) once it passes `limit`
 * bytes; a declared Content-Length over the limit is refused before reading anything.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  if (declared > limit) {
    request.resume();
    return Promise.resolve({ ok: false });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off("data", onData);
        // Drain the rest to a sink: the 413 answer goes out with `Connection: close`.
        request.resume();
        resolve({ ok: false });
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.on("end", () => resolve({ ok: true, text: Buffer.concat(chunks).toString("utf8") }));
    request.on("error", () => resolve({ ok: false }));
  });
}
