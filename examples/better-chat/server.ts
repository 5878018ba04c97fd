/**
 * Better chat: a chat room with usernames, spoken in the separator protocol (`#event|field`).
 *
 *   npx tsx examples/better-chat/server.ts   # or `npm start`; PORT=0 picks a free port
 *
 * A client sends:
 *   #name|alice   sets its name (every client starts as "Guest")
 *   #users        gets {"type":"users","users":["alice","Guest"]} back, to itself only
 *   #chat|hi      sends {"type":"msg","user":"alice","message":"hi"} to everyone
 * A `|` inside a field is written `\|`, a backslash `\\`.
 *
 * Ported from easterly's "better chat server".
 */
import { createBroker, ServerEvent, separator } from "switchboard";

/** What this app keeps on each client: `client.data` is a bag the broker never reads. */
interface ChatUser {
  name: string;
}

const broker = createBroker<ChatUser>({
  port: Number(process.env.PORT ?? 8899),
  protocol: separator("|"),
});

/** The first field of a `#event|field` frame, or undefined when there is none. */
function firstField(data: unknown): string | undefined {
  const field: unknown = Array.isArray(data) ? data[0] : undefined;
  return typeof field === "string" ? field : undefined;
}

broker.on(ServerEvent.CONNECT, (client) => {
  client.data.name = "Guest";
});

broker.on("#name", (client, data) => {
  const name = firstField(data);
  if (name) client.data.name = name;
});

// No users table of our own: `broker.clients` is live, in connection order, and a client is
// gone from it before its `disconnect` fires, so a departed user never shows up here.
broker.on("#users", (client) => {
  const users = [...broker.clients.values()].map((member) => member.data.name);
  client.send({ type: "users", users });
});

broker.on("#chat", (client, data) => {
  const message = firstField(data);
  if (message === undefined) return;
  // An object goes out as its JSON text, encoded once for all recipients.
  broker.broadcast({ type: "msg", user: client.data.name, message });
});

// `listen()` resolves with the address actually bound, which is how PORT=0 reports its port.
const { url } = await broker.listen();
console.log(`listening on ${url}`);

// close() drains: clients get close code 1001 and the port is freed before we exit. `once`, so
// a second Ctrl-C during the drain falls back to Node's default and quits at once.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void broker.close().then(() => process.exit(0)));
}
