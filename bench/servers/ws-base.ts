/**
 * The bare `ws` server both raw-ws baselines share; they differ only in how a
 * broadcast reaches its targets (`Broadcast`).
 *
 * - fanout / idle / churn: every frame from a client goes to every client.
 * - rooms: `#join|<room>` puts the client in a room (answered `#joined`); every
 *   other frame goes to the sender's room, sender included.
 * - echo: every frame goes back to its sender.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import type { ServerMode } from "../ipc.js";
import { type Started, unsupported } from "./harness.js";

/** Sends one text frame to every socket of `targets`. */
export type Broadcast = (targets: Iterable<WebSocket>, data: Buffer) => void;

const HASH = 0x23; // "#": a control frame; benchmark frames start with "seq:"
const JOIN = "#join|";

export async function startWsServer(
  name: string,
  mode: ServerMode,
  broadcast: Broadcast,
): Promise<Started> {
  if (mode === "sse") unsupported(name, mode);
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  const rooms = new Map<string, Set<WebSocket>>();

  wss.on("connection", (socket) => {
    switch (mode) {
      case "echo":
        socket.on("message", (data) => socket.send(data, { binary: false }));
        break;
      case "rooms": {
        let members: Set<WebSocket> | undefined;
        socket.on("message", (data) => {
          if (!Buffer.isBuffer(data)) return;
          if (data[0] !== HASH) {
            if (members) broadcast(members, data);
            return;
          }
          const text = data.toString();
          if (!text.startsWith(JOIN)) return;
          const room = text.slice(JOIN.length);
          members = rooms.get(room) ?? new Set();
          rooms.set(room, members);
          members.add(socket);
          socket.send("#joined");
        });
        socket.on("close", () => members?.delete(socket));
        break;
      }
      default:
        socket.on("message", (data) => {
          if (Buffer.isBuffer(data)) broadcast(wss.clients, data);
        });
    }
  });
  await once(wss, "listening");
  const { port } = wss.address() as AddressInfo; // a TCP listener, never a pipe path
  return { url: `ws://127.0.0.1:${port}/`, connections: () => wss.clients.size };
}
