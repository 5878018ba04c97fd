/**
 * Chat: every message a client sends is broadcast to every connected client, the sender
 * included (the sender seeing its own line is how it knows the server took it).
 *
 *   npx tsx examples/chat/server.ts          # PORT=0 picks a free port
 *
 * Ported from easterly's "basic chat server" and websocket-server's send_message_to_all.
 */
import { createBroker, ServerEvent } from "switchboard";

const broker = createBroker({ port: Number(process.env.PORT ?? 8899) });

// A plain text frame arrives as a `message` event whose data is the whole text. broadcast()
// encodes it once and hands the same frame to every client.
broker.on(ServerEvent.MESSAGE, (_client, data) => broker.broadcast(data));

// `listen()` resolves with the address actually bound, which is how PORT=0 reports its port.
const { url } = await broker.listen();
console.log(`listening on ${url}`);

// close() drains: clients get close code 1001 and the port is freed before we exit. `once`, so
// a second Ctrl-C during the drain falls back to Node's default and quits at once.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void broker.close().then(() => process.exit(0)));
}
