/**
 * Rooms chat: a browser chat app with rooms, presence, a typing indicator and history, served
 * by the broker next to the live inspector. The page (public/) talks to the broker with the
 * browser client the broker serves at /_switchboard/client.js: no bundler, no CDN.
 *
 *   npx tsx examples/rooms-chat/server.ts   # PORT=0 picks a free port; needs `npm run build`
 *
 * Requests (JSON codec, each answered by an ack; bad input rejects the request with a message):
 *   hello  { name }          -> RoomSummary[]        sets the name (1-32 characters)
 *   rooms                    -> RoomSummary[]        [{ name, members }], rooms with members
 *   join   { room }          -> { room, history, members }   history: its last 50 messages
 *   leave  { room }          -> { room }
 *   say    { room, text }    -> ChatMessage          text: 1-2000 characters
 *   typing { room }          (a plain send: no answer needed)
 * Events from the server:
 *   message      { id, room, name, text, at }                 to the room, sender included
 *   presence     { room, name, action: "join"|"leave", members } to the room's other members
 *   typing       { room, name }                               to the room, sender excluded
 *   roomsChanged RoomSummary[]                                to everyone, when a room appears,
 *                                                             empties or its head count changes
 * Room names: 1-32 of letters, digits, spaces, `_` and `-`. A client may be in several rooms (10
 * at most). A room that empties keeps its history for whoever comes back (200 rooms remembered).
 * After a reconnect the page says hello and joins its rooms again by itself.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ClientHandle, createBroker, json, ServerEvent } from "switchboard";
import { BadInput, parseName, parseRoom, parseSay, type RoomSummary, Rooms } from "./rooms.js";

/** What this app keeps on each connection: the name, once `hello` gave it. */
interface ChatUser {
  name?: string;
}

const HOST = "127.0.0.1";
const PUBLIC = new URL("./public/", import.meta.url);

/** The app's own files, by URL path: nothing else is read from disk. */
const STATIC_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

/** Scripts and sockets from this origin only; no inline script, no third party. */
const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** Serves the app's files; anything else is a 404. */
function serveStatic(request: IncomingMessage, response: ServerResponse): void {
  const { pathname } = new URL(request.url ?? "/", "http://localhost");
  const entry = STATIC_FILES[pathname];
  const plain = (status: number, body: string, extra: Record<string, string> = {}) => {
    response.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...extra });
    response.end(body);
  };
  if (!entry) {
    plain(404, "Not found\n");
    return;
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    plain(405, "Method not allowed\n", { Allow: "GET, HEAD" });
    return;
  }
  readFile(new URL(entry.file, PUBLIC)).then(
    (body) => {
      response.writeHead(200, {
        "Content-Type": entry.type,
        "Content-Length": body.length,
        "Cache-Control": "no-cache",
        ...SECURITY_HEADERS,
      });
      response.end(request.method === "HEAD" ? undefined : body);
    },
    () => plain(500, "Cannot read the app's files\n"),
  );
}

// The broker answers its own paths (the WebSocket endpoint, /_switchboard/client.js, the
// inspector, SSE); everything else is the app's. The broker takes upgrades on this server itself.
const server = createServer((request, response) => {
  if (!broker.handleRequest(request, response)) serveStatic(request, response);
});
const broker = createBroker<ChatUser>({ server, protocol: json(), inspector: true });
const rooms = new Rooms();

/** The client's name, or a refusal when it has not said hello yet. */
function nameOf(client: ClientHandle<ChatUser>): string {
  const { name } = client.data;
  if (name === undefined) throw new BadInput("Choose a name first");
  return name;
}

function announceRooms(): void {
  broker.broadcast({ type: "roomsChanged", data: rooms.list() });
}

function announcePresence(
  room: string,
  name: string,
  action: "join" | "leave",
  members: readonly string[],
  except?: string,
): void {
  const payload = { type: "presence", data: { room, name, action, members } };
  broker.broadcast(payload, except === undefined ? { room } : { room, except });
}

broker.on("hello", (client, data): RoomSummary[] => {
  const name = parseName(data);
  const current = client.data.name;
  if (current !== undefined && current !== name && rooms.roomsOf(client.id).length > 0) {
    throw new BadInput("Leave your rooms before changing your name");
  }
  client.data.name = name;
  return rooms.list();
});

broker.on("rooms", (): RoomSummary[] => rooms.list());

broker.on("join", (client, data) => {
  const room = parseRoom(data);
  const { reply, joined } = rooms.join(room, client.id, nameOf(client));
  if (joined) {
    // Mailbox order: the join is applied before the broadcasts that follow it.
    client.join(room);
    announcePresence(room, nameOf(client), "join", reply.members, client.id);
    announceRooms();
  }
  return reply;
});

broker.on("leave", (client, data) => {
  const room = parseRoom(data);
  const members = rooms.leave(room, client.id);
  client.leave(room);
  announcePresence(room, nameOf(client), "leave", members);
  announceRooms();
  return { room };
});

broker.on("say", (client, data) => {
  const { room, text } = parseSay(data);
  const message = rooms.say(room, client.id, text);
  broker.broadcast({ type: "message", data: message }, { room });
  return message;
});

broker.on("typing", (client, data) => {
  const room = parseRoom(data);
  const name = rooms.nameIn(room, client.id);
  broker.broadcast({ type: "typing", data: { room, name } }, { room, except: client.id });
});

// The broker has already taken the client out of its rooms; ours still know where it was.
broker.on(ServerEvent.DISCONNECT, (client) => {
  const left = rooms.roomsOf(client.id);
  for (const room of left) {
    const members = rooms.leave(room, client.id);
    announcePresence(room, client.data.name ?? "", "leave", members);
  }
  if (left.length > 0) announceRooms();
});

// A refused input is the client's business (its request was answered with the reason); print
// only what went wrong on our side.
broker.on(ServerEvent.ERROR, (_client, error) => {
  if (error.cause instanceof BadInput) return;
  console.error(`[rooms-chat] ${error.code}: ${error.message}`);
});

const wanted = Number(process.env.PORT ?? 8899);
server.listen(wanted, HOST);
const { url } = await broker.listen().catch((error: unknown) => {
  const why = error instanceof Error ? error.message : String(error);
  console.error(`rooms-chat: cannot listen on ${HOST}:${wanted} (${why}); try PORT=0`);
  process.exit(1);
});
const { port } = server.address() as AddressInfo;
console.log(`listening on ${url}`);
console.log(`chat on http://${HOST}:${port}/`);
console.log(`inspector on http://${HOST}:${port}/_inspect`);
// The page imports the client the broker serves from dist/; say so now rather than in the page.
if (!existsSync(new URL("../../dist/src/client/index.js", import.meta.url))) {
  console.error("rooms-chat: dist/ has no browser client yet: run `npm run build` first");
}

// close() drains the broker's clients (1001); the HTTP server is ours to close. `once`, so a
// second Ctrl-C during the drain falls back to Node's default and quits at once.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void broker.close().then(() => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    });
  });
}
