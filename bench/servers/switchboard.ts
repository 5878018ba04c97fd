/**
 * The switchboard broker doing the same broadcast as `raw-ws.ts`: every
 * plain frame a client sends goes to every client, through the public API.
 *
 * It imports the compiled package (`npm run bench` builds it first), as an
 * application would: running the TypeScript sources through tsx would add
 * esbuild's `__name` wrapper to every closure and inflate memory per
 * connection. The heartbeat keeps its default (25 s): that is what users run.
 */
import { serve } from "./harness.js";

// A computed specifier keeps the typecheck independent of a build; the types come from source.
const compiledEntry = new URL("../../dist/src/index.js", import.meta.url).href;
const { createBroker, separator } = (await import(compiledEntry)) as typeof import("switchboard");

serve(async () => {
  const broker = createBroker({
    port: 0,
    host: "127.0.0.1",
    path: "/ws",
    protocol: separator("|"),
  });
  broker.on("message", (_client, data) => {
    broker.broadcast(data);
  });
  const { url } = await broker.listen();
  return url;
});
