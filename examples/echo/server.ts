/**
 * Echo: every frame a client sends is whispered back to that client alone.
 *
 *   npx tsx examples/echo/server.ts          # PORT=0 picks a free port
 *
 * Ported from easterly's "simple echo server".
 */
import { createBroker, ServerEvent } from "switchboard";

const broker = createBroker({ port: Number(process.env.PORT ?? 8899) });

// No custom `#event` listener is registered, so every frame lands here. Plain text arrives as
// event "message" with the text as data; `#shout|a|b` arrives as event "#shout" with ["a", "b"].
broker.on(ServerEvent.MESSAGE, (client, data, event) => {
  // Send plain text back as is, and an event back as the same event, so the client gets back
  // exactly the frame it sent.
  if (event === ServerEvent.MESSAGE) client.send(data);
  else client.emit(event, data);
});

// `listen()` resolves with the address actually bound, which is how PORT=0 reports its port.
const { url } = await broker.listen();
console.log(`listening on ${url}`);

// close() drains: clients get close code 1001 and the port is freed before we exit. `once`, so
// a second Ctrl-C during the drain falls back to Node's default and quits at once.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void broker.close().then(() => process.exit(0)));
}
