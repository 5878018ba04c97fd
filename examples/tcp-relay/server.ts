/**
 * TCP relay: ebsockets' raw-socket relay server. Clients connect over plain TCP and speak
 * newline-delimited JSON; every `message` event a client sends is relayed to every client (the
 * sender included), whatever its transport: WebSocket clients on `/ws` get it too.
 *
 *   npx tsx examples/tcp-relay/server.ts     # TCP_PORT=0 / PORT=0 pick free ports
 *   npx tsx examples/tcp-relay/client.ts     # in another terminal, as many as you like
 *
 * Wire format, one JSON object per line: a client sends `{"type":"message","data":"hi"}` and
 * every client receives `{"type":"message","data":"hi"}`. The server pings with
 * `{"type":"ping"}` and expects `{"type":"pong"}` back; its last line before closing is
 * `{"type":"close","data":{"code":1001,"reason":"..."}}`.
 */
import { createBroker, ServerEvent } from "switchboard";

const broker = createBroker({
  port: Number(process.env.PORT ?? 8899),
  tcp: { port: Number(process.env.TCP_PORT ?? 8900) },
});

// The seed printed every connection and disconnection; so does this port, after the
// listening lines (stdout stays line-oriented for scripts that wait on it).
broker.on(ServerEvent.CONNECT, (client) => {
  console.log(`connected ${client.id} (${client.transport} ${client.address})`);
});
broker.on(ServerEvent.DISCONNECT, (client, { code }) => {
  console.log(`disconnected ${client.id} (${code})`);
});

// A `{"type":"message","data":…}` line arrives as event `message`: relay its data to everyone,
// as the seed's `send_event_to_clients(ebsocket_event('message', content=…))` did.
broker.on(ServerEvent.MESSAGE, (_client, data) => broker.broadcast({ type: "message", data }));

const address = await broker.listen();
console.log(`listening on ${address.url}`);
console.log(`listening on tcp://127.0.0.1:${address.tcp?.port}`);

// close() drains: TCP clients get a close line with code 1001, then FIN. `once`, so a second
// Ctrl-C during the drain quits at once.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void broker.close().then(() => process.exit(0)));
}
