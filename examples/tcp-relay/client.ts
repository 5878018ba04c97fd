/**
 * TCP relay client: ebsockets' terminal client over a raw socket, no library needed. Each line
 * typed on stdin is sent as `{"type":"message","data":<line>}`; every `message` received is
 * printed; the server's pings are answered. Ctrl-D (end of stdin) hangs up.
 *
 *   npx tsx examples/tcp-relay/client.ts     # TCP_HOST (127.0.0.1) and TCP_PORT (8900)
 */
import { connect } from "node:net";
import { createInterface } from "node:readline";

const host = process.env.TCP_HOST ?? "127.0.0.1";
const port = Number(process.env.TCP_PORT ?? 8900);

/** The one shape the server sends: a `type` and maybe `data`. */
interface Frame {
  readonly type: string;
  readonly data?: unknown;
}

function parse(line: string): Frame | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === "object" && value !== null && "type" in value) {
      return typeof value.type === "string" ? (value as Frame) : undefined;
    }
  } catch {
    // Not JSON: printed as is below.
  }
  return undefined;
}

/** A relayed message's data as the terminal shows it: strings bare, anything else as JSON. */
function text(data: unknown): string {
  return typeof data === "string" ? data : JSON.stringify(data);
}

const socket = connect({ host, port });
// One JSON object per line; the server rejects lines that are not valid UTF-8.
const send = (frame: Frame) => socket.write(`${JSON.stringify(frame)}\n`);

socket.on("connect", () => console.error(`connected to ${host}:${port}`));
socket.on("error", (error) => {
  console.error(`connection failed: ${error.message}`);
  process.exitCode = 1;
});
socket.on("close", () => process.exit());

createInterface({ input: socket, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
  const frame = parse(line);
  if (frame?.type === "ping") send({ type: "pong" });
  else if (frame?.type === "message") console.log(text(frame.data));
  else if (frame?.type === "close") console.error(`server closed: ${JSON.stringify(frame.data)}`);
  else console.log(line);
});

// Stdin lines become message events; an empty line is skipped, as the seed's client did.
const input = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
input.on("line", (line) => {
  if (line !== "") send({ type: "message", data: line });
});
input.on("close", () => socket.end());
