/**
 * The switchboard broker doing the same broadcast as `raw-ws.ts`: every
 * plain frame a client sends goes to every client, through the public API.
 */
import { createBroker, separator } from "../../src/index.js";
import { serve } from "./harness.js";

serve(async () => {
  const broker = createBroker({
    port: 0,
    host: "127.0.0.1",
    path: "/ws",
    protocol: separator("|"),
    heartbeatInterval: 0, // no pings: they would add unmeasured traffic to the window
  });
  broker.on("message", (_client, data) => {
    broker.broadcast(data);
  });
  const { url } = await broker.listen();
  return url;
});
