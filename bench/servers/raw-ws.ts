/**
 * Baseline: a bare `ws` server broadcasting with the naive loop every
 * tutorial shows. It is what switchboard's overhead is measured against.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { serve } from "./harness.js";

serve(async () => {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  wss.on("connection", (socket) => {
    socket.on("message", (data) => {
      for (const client of wss.clients) client.send(data, { binary: false });
    });
  });
  await once(wss, "listening");
  const { port } = wss.address() as AddressInfo; // a TCP listener, never a pipe path
  return `ws://127.0.0.1:${port}/`;
});
