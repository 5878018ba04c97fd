/**
 * Baseline for SSE fan-out: a minimal hand-written Server-Sent Events server
 * on node:http. `GET /events` opens a stream (kept in a Set); `POST /publish`
 * writes `data: <body>\n\n` to every stream and answers
 * `{"delivered": n}`. No ids, no history, no keepalive: the least a server
 * can do.
 */
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, unsupported } from "./harness.js";

serve(async (mode) => {
  if (mode !== "sse") unsupported("node SSE", mode);
  const streams = new Set<ServerResponse>();
  const http = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/events") {
      res.writeHead(200, {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        Connection: "keep-alive",
      });
      res.flushHeaders();
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    if (req.method === "POST" && req.url === "/publish") {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const event = `data: ${Buffer.concat(chunks).toString()}\n\n`;
        for (const stream of streams) stream.write(event);
        res.writeHead(202, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ delivered: streams.size }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const { port } = http.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/events`,
    publishUrl: `${base}/publish`,
    connections: () => streams.size,
  };
});
