/**
 * The soak's churning clients, one class per transport over a shared life cycle: connect, join
 * rooms, then until a random lifetime ends broadcast now and then and hop rooms; then leave,
 * cleanly or by vanishing, and reconnect at once as a new client.
 *
 * - WebSocket (separator codec): `#join|room`, `#leave|room`, `#say|room|text`.
 * - TCP (JSON lines): `{"type":"join","data":room}` and so on; answers pings.
 * - SSE: a stream on `/events/<room>` (its one room, so no hops); says are POSTs to
 *   `/events/<room>/msg`, which the broker delivers to that room.
 *
 * Timers pace the load: this is a load generator, not a test, and its randomness is seeded.
 */
import { type ClientRequest, request } from "node:http";
import { connect, type Socket } from "node:net";
import WebSocket from "ws";

/** Counters shared by every client of the process. */
export const counts = { connects: 0, disconnects: 0, sent: 0, received: 0, failures: 0 };

/** Process-wide switches the runner flips: churning (lifetimes, says, hops) and reconnecting. */
export const mode = { churning: false, reconnecting: false };

/** Called whenever a client settles (opens or closes): ramp-up, pause and stop wait on it. */
export const settledWaiters = new Set<() => void>();
const settledOne = () => {
  for (const check of [...settledWaiters]) check();
};

export interface ClientPlan {
  readonly url: string;
  readonly origin: string;
  readonly tcpPort: number;
  readonly rooms: number;
  readonly roomsPerClient: number;
  readonly meanLifetimeMs: number;
  readonly meanSayMs: number;
  readonly meanHopMs: number;
}

/** The life cycle; subclasses open, write and close their transport. */
export abstract class SoakClient {
  protected readonly plan: ClientPlan;
  readonly #rand: () => number;
  #timers: NodeJS.Timeout[] = [];
  protected rooms: string[] = [];
  /** Between starting to connect and its open or close. */
  connecting = false;
  /** Open and usable. */
  open = false;
  /** Closing: asked to close and not closed yet. */
  closing = false;

  constructor(plan: ClientPlan, rand: () => number) {
    this.plan = plan;
    this.#rand = rand;
  }

  /** Nothing under way: open and idle, or closed. */
  get settled(): boolean {
    return !this.connecting && !this.closing;
  }

  protected abstract start(): void;
  protected abstract join(room: string): void;
  protected abstract leaveRoom(room: string): void;
  protected abstract say(room: string, text: string): void;
  protected abstract end(clean: boolean): void;
  /** Whether `join`/`leaveRoom` mean anything (an SSE stream has one room, fixed). */
  protected readonly hops: boolean = true;

  /** An exponential delay with the given mean, so events do not fall into lockstep. */
  #delay(mean: number): number {
    return -Math.log(1 - this.#rand()) * mean;
  }

  protected randomRoom(): string {
    return `room-${Math.floor(this.#rand() * this.plan.rooms)}`;
  }

  #after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers = this.#timers.filter((t) => t !== timer);
      run();
    }, ms);
    this.#timers.push(timer);
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
  }

  connect(): void {
    this.connecting = true;
    this.start();
  }

  /** The subclass's transport opened. */
  protected opened(): void {
    this.connecting = false;
    this.open = true;
    counts.connects += 1;
    if (this.hops) {
      this.rooms = [];
      for (let i = 0; i < this.plan.roomsPerClient; i++) this.#join(this.randomRoom());
    }
    if (mode.churning) this.#schedule();
    settledOne();
  }

  /** The subclass's transport closed (or failed to open). */
  protected closed(): void {
    const failed = this.connecting;
    if (failed) counts.failures += 1;
    else counts.disconnects += 1;
    this.connecting = false;
    this.open = false;
    this.closing = false;
    this.#clearTimers();
    // A refused connection retries after a pause rather than in a hot loop.
    if (mode.reconnecting && failed) this.#after(100, () => this.connect());
    else if (mode.reconnecting) this.connect();
    settledOne();
  }

  #join(room: string): void {
    if (this.rooms.includes(room)) return;
    this.rooms.push(room);
    this.join(room);
  }

  #schedule(): void {
    this.#after(this.#delay(this.plan.meanLifetimeMs), () => this.leave(this.#rand() < 0.5));
    const say = () => {
      const room = this.rooms[Math.floor(this.#rand() * this.rooms.length)];
      if (room !== undefined && this.open) {
        this.say(room, String(counts.sent));
        counts.sent += 1;
      }
      this.#after(this.#delay(this.plan.meanSayMs), say);
    };
    this.#after(this.#delay(this.plan.meanSayMs), say);
    if (!this.hops) return;
    const hop = () => {
      const old = this.rooms.shift();
      if (old !== undefined && this.open) this.leaveRoom(old);
      this.#join(this.randomRoom());
      this.#after(this.#delay(this.plan.meanHopMs), hop);
    };
    this.#after(this.#delay(this.plan.meanHopMs), hop);
  }

  /** Stops sending and churning; the connection stays as it is. */
  quiet(): void {
    this.#clearTimers();
  }

  /** Closes cleanly, or vanishes (no closing handshake: the server sees the TCP close). */
  leave(clean: boolean): void {
    this.#clearTimers();
    if (!this.open && !this.connecting) return;
    this.closing = true;
    this.end(clean);
  }
}

export class WebSocketClient extends SoakClient {
  #socket: WebSocket | undefined;

  protected start(): void {
    const socket = new WebSocket(this.plan.url);
    this.#socket = socket;
    socket.on("message", () => {
      counts.received += 1;
    });
    socket.on("error", () => {
      // Surfaces as a close.
    });
    socket.once("open", () => this.opened());
    socket.once("close", () => {
      this.#socket = undefined;
      this.closed();
    });
  }

  protected join(room: string): void {
    this.#socket?.send(`#join|${room}`);
  }

  protected leaveRoom(room: string): void {
    this.#socket?.send(`#leave|${room}`);
  }

  protected say(room: string, text: string): void {
    this.#socket?.send(`#say|${room}|${text}`);
  }

  protected end(clean: boolean): void {
    if (clean && this.#socket?.readyState === WebSocket.OPEN) this.#socket.close(1000);
    else this.#socket?.terminate();
  }
}

export class TcpClient extends SoakClient {
  #socket: Socket | undefined;

  protected start(): void {
    const socket = connect({ host: "127.0.0.1", port: this.plan.tcpPort });
    this.#socket = socket;
    let pending = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line === '{"type":"ping"}') socket.write('{"type":"pong"}\n');
        else counts.received += 1;
      }
    });
    socket.on("error", () => {
      // Surfaces as a close.
    });
    socket.once("connect", () => this.opened());
    socket.once("close", () => {
      this.#socket = undefined;
      this.closed();
    });
  }

  #send(frame: object): void {
    this.#socket?.write(`${JSON.stringify(frame)}\n`);
  }

  protected join(room: string): void {
    this.#send({ type: "join", data: room });
  }

  protected leaveRoom(room: string): void {
    this.#send({ type: "leave", data: room });
  }

  protected say(room: string, text: string): void {
    this.#send({ type: "say", data: [room, text] });
  }

  protected end(clean: boolean): void {
    if (clean) this.#socket?.end();
    else this.#socket?.resetAndDestroy();
  }
}

export class EventSourceClient extends SoakClient {
  protected override readonly hops = false;
  #request: ClientRequest | undefined;

  protected start(): void {
    const room = this.randomRoom();
    this.rooms = [room];
    const stream = request(`${this.plan.origin}/events/${room}`, {
      headers: { accept: "text/event-stream" },
      agent: false,
    });
    this.#request = stream;
    let opened = false;
    stream.on("response", (response) => {
      if (response.statusCode !== 200) {
        stream.destroy();
        return;
      }
      opened = true;
      this.opened();
      let pending = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        pending += chunk;
        for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
          if (pending.startsWith("data:")) counts.received += 1;
          pending = pending.slice(end + 1);
        }
      });
      response.on("error", () => {
        // Surfaces as a close.
      });
    });
    stream.on("error", () => {
      // Surfaces as a close.
    });
    stream.once("close", () => {
      this.#request = undefined;
      if (!opened) this.connecting = true; // counted as a failure
      this.closed();
    });
    stream.end();
  }

  protected join(): void {}

  protected leaveRoom(): void {}

  /** A POST to the stream's channel: the broker delivers it to the whole room. */
  protected say(room: string, text: string): void {
    const post = request(`${this.plan.origin}/events/${room}/msg`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      agent: false,
    });
    post.on("response", (response) => response.resume());
    post.on("error", () => {
      // A POST racing the broker's shutdown; nothing to count.
    });
    post.end(text);
  }

  /** An EventSource can only drop its connection; `clean` makes no difference. */
  protected end(): void {
    this.#request?.destroy();
  }
}
