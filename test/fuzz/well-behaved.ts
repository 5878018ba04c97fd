/**
 * The clients that must not notice the fuzzing: one per transport and codec, each recording the
 * numbers of the tick broadcasts it receives, in order, and waking `until` on every one.
 */
import { connect } from "node:net";
import { EventSource } from "eventsource";
import WebSocket from "ws";
import { changed } from "../helpers/condition.js";
import { TICK } from "./operations.js";

export interface WellBehaved {
  readonly name: string;
  /** Tick numbers in arrival order. */
  readonly ticks: number[];
  close(): Promise<void>;
}

/** The tick number a decoded payload carries, or undefined for any other payload. */
function tickOf(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const frame = value as { type?: unknown; data?: unknown };
  return frame.type === TICK && typeof frame.data === "number" ? frame.data : undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // a fuzz broadcast in separator form, say: not a tick
  }
}

/** A `ws` client on `?protocol=` (separator sends the tick object as JSON text, json as is). */
export async function wellBehavedWebSocket(url: string, protocol: string): Promise<WellBehaved> {
  const socket = new WebSocket(`${url}?protocol=${protocol}`);
  const ticks: number[] = [];
  socket.on("message", (data) => {
    const tick = tickOf(parse(data.toString()));
    if (tick === undefined) return;
    ticks.push(tick);
    changed();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const gone = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    name: `websocket/${protocol}`,
    ticks,
    close: async () => {
      socket.close(1000);
      await gone;
    },
  };
}

/** A real EventSource on `/events/<room>`: ticks arrive as `event: fuzz-tick`, data the number. */
export async function wellBehavedEventSource(origin: string, room: string): Promise<WellBehaved> {
  const source = new EventSource(`${origin}/events/${encodeURIComponent(room)}`);
  const ticks: number[] = [];
  source.addEventListener(TICK, (event: MessageEvent) => {
    ticks.push(Number(event.data));
    changed();
  });
  await new Promise<void>((resolve, reject) => {
    source.addEventListener("open", () => resolve(), { once: true });
    source.addEventListener("error", () => reject(new Error("EventSource failed")), {
      once: true,
    });
  });
  // A stream that ends is an error; reconnecting would hide it, so record it as a missing tick.
  source.addEventListener("error", () => {
    ticks.push(Number.NaN);
    changed();
  });
  return {
    name: "sse",
    ticks,
    close: async () => {
      source.close();
    },
  };
}

/** A raw TCP client reading newline-delimited JSON, answering pings. */
export async function wellBehavedTcp(host: string, port: number): Promise<WellBehaved> {
  const socket = connect({ host, port });
  const ticks: number[] = [];
  let pending = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
      const line = parse(pending.slice(0, end));
      pending = pending.slice(end + 1);
      const tick = tickOf(line);
      if (tick !== undefined) {
        ticks.push(tick);
        changed();
      } else if (typeof line === "object" && line !== null && "type" in line) {
        if (line.type === "ping") socket.write('{"type":"pong"}\n');
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  const gone = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    name: "tcp",
    ticks,
    close: async () => {
      socket.end();
      await gone;
    },
  };
}
