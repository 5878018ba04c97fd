/**
 * One broker of a test cluster, in its own process: `node --import tsx test/cluster/node.ts`
 * with REDIS_URL and CLUSTER_PREFIX in the environment. WebSocket (JSON codec by default), SSE
 * and TCP on port 0. Its first stdout line is `{"ready":true,"node",…,"ws","http","tcp"}`; then
 * it takes one JSON command per stdin line (`{"seq","cmd","args"}`), answers each with
 * `{"seq","result"}` or `{"seq","error"}`, and prints its `presence` and `error` events as
 * `{"event","data"}` lines. Clients join rooms by sending `{"type":"join","data":"<room>"}`
 * and learn their id with `{"type":"whoami","id":1}` (answered by the ack).
 */
import { createInterface } from "node:readline";
import { type BroadcastOptions, createBroker, json, redisAdapter } from "../../src/index.js";

const broker = createBroker({
  port: 0,
  host: "127.0.0.1",
  protocol: json(),
  tcp: { port: 0 },
  adapter: redisAdapter({
    url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    prefix: process.env.CLUSTER_PREFIX ?? "switchboard-test",
  }),
});

const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

broker.on("whoami", (client) => client.id);
broker.on("join", (client, room) => client.join(String(room)));
broker.on("leave", (client, room) => client.leave(String(room)));
broker.on("presence", (event) => print({ event: "presence", data: event }));
broker.on("error", (_client, error) =>
  print({ event: "error", data: { code: error.code, message: error.message } }),
);

type Command = (...args: never[]) => unknown;

/** What the test can ask of this node, by name. */
const COMMANDS: Record<string, Command> = {
  broadcast: (payload: unknown, options: BroadcastOptions) => broker.broadcast(payload, options),
  whisper: (id: string, payload: unknown) => broker.whisper(id, payload),
  emit: (id: string, event: string, data: unknown) => broker.emit(id, event, data),
  join: (id: string, room: string) => broker.join(id, room),
  leave: (id: string, room: string) => broker.leave(id, room),
  clients: () => [...broker.clients.keys()],
  fetchClients: (timeout: number) => broker.fetchClients({ timeout }),
  fetchRoom: (room: string, timeout: number) => broker.fetchRoom(room, { timeout }),
  stats: () => broker.stats(),
  close: () => broker.close(),
};

const address = await broker.listen();
print({
  ready: true,
  node: broker.nodeId,
  ws: address.port,
  http: address.port,
  tcp: address.tcp?.port,
});

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const { seq, cmd, args } = JSON.parse(line) as { seq: number; cmd: string; args: never[] };
  try {
    const command = COMMANDS[cmd];
    if (!command) throw new Error(`unknown command ${cmd}`);
    print({ seq, result: (await command(...args)) ?? null });
    if (cmd === "close") process.exit(0);
  } catch (error) {
    print({ seq, error: error instanceof Error ? error.message : String(error) });
  }
});
// The test closing our stdin (or dying) ends the node.
lines.on("close", () => {
  void broker.close().then(() => process.exit(0));
});
