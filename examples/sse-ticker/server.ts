/**
 * SSE ticker: a timer in the supervisor broadcasts a tick to channel `ticker` every second.
 *
 *   npx tsx examples/sse-ticker/server.ts     # PORT=0 picks a free port, TICK_MS=250 ticks faster
 *   switchboard client ticker                 # prints `tick {"n":1,"at":"2025-…"}` once a second
 *   curl -N http://127.0.0.1:8899/events/ticker
 *
 * Ported from the Python Event Source library's client, which watches a token's events.
 */
import { createBroker, ServerEvent } from "switchboard";

const broker = createBroker({ port: Number(process.env.PORT ?? 8899) });
const tickMs = Number(process.env.TICK_MS ?? 1000);

// A timer set on the broker is a child actor of the supervisor (it shows in `inspect()`), and is
// stopped by `close()`. `{ type, data }` is the event-source codec's envelope: stream listeners
// of channel `ticker` get `event: tick` with the data as JSON, and an id per event, so a client
// that reconnects with Last-Event-ID is sent the ticks it missed.
let n = 0;
broker.setInterval(() => {
  n += 1;
  broker.broadcast({ type: "tick", data: { n, at: new Date().toISOString() } }, { room: "ticker" });
}, tickMs);

// WebSocket clients tick too: the room is the channel, whatever the transport. They get the
// payload as JSON text, `{"type":"tick","data":{"n":1,"at":"…"}}`.
broker.on(ServerEvent.CONNECT, (client) => {
  if (client.transport === "websocket") client.join("ticker");
});

const { url } = await broker.listen();
console.log(`listening on ${url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void broker.close().then(() => process.exit(0)));
}
