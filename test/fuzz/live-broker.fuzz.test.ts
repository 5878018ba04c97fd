/**
 * Live fuzzing: one real broker (WebSocket, SSE and TCP on) with four well-behaved clients in
 * one room, while a fixed-seed list of fast-check operations throws garbage at it from several
 * sockets at once: random bytes on raw connections to the HTTP and TCP ports, hand-built
 * WebSocket frames after a valid upgrade, `ws` clients sending random text frames, and random
 * HTTP requests. Tick broadcasts to the room are interleaved throughout.
 *
 * Afterwards: every well-behaved client got every tick, in order; once every fuzz socket is
 * closed, the broker holds only the well-behaved connections (no leaked actors, no stale room
 * members); every `error` event was a `BrokerError` with a known code; no request got a 5xx.
 *
 * Bounded by a count of operations, not by time. A failure names the seed and the operation;
 * `FUZZ_SEED=<n> npx vitest run test/fuzz` replays it, `FUZZ_OPERATIONS=<n>` runs more.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Broker,
  BrokerError,
  type ClientHandle,
  createBroker,
  ErrorCode,
  ServerEvent,
} from "../../src/index.js";
import { changed, until } from "../helpers/condition.js";
import { attack, type Target, within } from "./attacks.js";
import { describeOperation, operation, TICK } from "./operations.js";
import {
  type WellBehaved,
  wellBehavedEventSource,
  wellBehavedTcp,
  wellBehavedWebSocket,
} from "./well-behaved.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_121);
const OPERATIONS = Number(process.env.FUZZ_OPERATIONS ?? 300);
/** Operations in flight at once, so attacks overlap each other and the broadcasts. */
const CONCURRENCY = 6;
/** Small, so oversized frames and bodies are cheap to generate. */
const MAX_PAYLOAD = 4_096;
const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

let broker: Broker | undefined;
const clients: WellBehaved[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await broker?.close();
  broker = undefined;
});

/**
 * The app a fuzz client talks to: echo (with acks), a handler that throws, join and leave, a
 * handler that closes its client and one that answers a turn later.
 */
function installHandlers(target: Broker, protectedRoom: string): void {
  const echo = (client: ClientHandle, data: unknown) => {
    target.whisper(client.id, { type: "echoed", data });
    return data;
  };
  const boom = () => {
    throw new Error("boom");
  };
  // Fuzz clients choose room names; the well-behaved room is not theirs to enter.
  const roomOf = (data: unknown) => {
    const name = `fuzz:${Array.isArray(data) ? String(data[0]) : String(data)}`;
    return name === protectedRoom ? undefined : name;
  };
  const join = (client: ClientHandle, data: unknown) => {
    const room = roomOf(data);
    if (room !== undefined) target.join(client.id, room);
  };
  const leave = (client: ClientHandle, data: unknown) => {
    const room = roomOf(data);
    if (room !== undefined) target.leave(client.id, room);
  };
  // A client closed from inside its own handler, and an answer that arrives after the client
  // may have gone: the races a broker's bookkeeping gets wrong.
  const quit = (client: ClientHandle) => {
    client.close(4000, "quit");
  };
  const later = async (client: ClientHandle, data: unknown) => {
    await new Promise((resolve) => setImmediate(resolve));
    target.whisper(client.id, { type: "later", data });
    return data;
  };
  for (const [name, handler] of [
    ["echo", echo],
    ["boom", boom],
    ["join", join],
    ["leave", leave],
    ["quit", quit],
    ["later", later],
  ] as const) {
    target.on(name, handler);
    target.on(`#${name}`, handler);
  }
}

/** Connects one well-behaved client and returns the broker's handle for it. */
async function enrol(
  target: Broker,
  open: () => Promise<WellBehaved>,
): Promise<{ client: WellBehaved; handle: ClientHandle }> {
  const connected = new Promise<ClientHandle>((resolve) => {
    const listener = (handle: ClientHandle) => {
      target.off(ServerEvent.CONNECT, listener);
      resolve(handle);
    };
    target.on(ServerEvent.CONNECT, listener);
  });
  const client = await open();
  clients.push(client);
  return { client, handle: await within(connected, `${client.name} connect event`) };
}

describe("a live broker under fuzzing", () => {
  // About 5 s alone on two cores; the margin is for a machine busy with the rest of the suite.
  it("keeps serving well-behaved clients and forgets every fuzz connection", {
    timeout: 60_000,
  }, async () => {
    const room = `fuzz-live-${process.pid}`;
    broker = createBroker({
      port: 0,
      host: "127.0.0.1",
      tcp: { port: 0 },
      maxPayload: MAX_PAYLOAD,
    });
    const live = broker;
    const errors: unknown[] = [];
    live.on(ServerEvent.ERROR, (_client: unknown, error: unknown) => errors.push(error));
    live.on(ServerEvent.DISCONNECT, () => changed());
    installHandlers(live, room);
    const address = await live.listen();
    if (!address.tcp) throw new Error("the TCP endpoint is not listening");
    const target: Target = {
      host: "127.0.0.1",
      httpPort: address.port,
      tcpPort: address.tcp.port,
      room,
    };
    const origin = `http://127.0.0.1:${address.port}`;

    const enrolled = [
      await enrol(live, () => wellBehavedWebSocket(address.url, "separator")),
      await enrol(live, () => wellBehavedWebSocket(address.url, "json")),
      await enrol(live, () => wellBehavedTcp(target.host, target.tcpPort)),
      await enrol(live, () => wellBehavedEventSource(origin, room)),
    ];
    for (const { handle } of enrolled) {
      if (handle.transport !== "sse") live.join(handle.id, room);
    }
    const wellBehavedIds = new Set(enrolled.map(({ handle }) => handle.id));

    const operations = fc.sample(operation, { seed: SEED, numRuns: OPERATIONS });
    const statuses: Array<{ status: number; operation: string }> = [];
    let ticks = 0;
    let next = 0;
    const worker = async () => {
      while (next < operations.length) {
        const index = next++;
        const op = operations[index];
        if (!op) break;
        try {
          if (op.kind === "tick") {
            live.broadcast({ type: TICK, data: ticks }, { room });
            ticks += 1;
          } else if (op.kind === "broadcast") {
            live.broadcast(op.payload);
          } else {
            const { status } = await attack(target, op);
            if (status !== undefined) statuses.push({ status, operation: describeOperation(op) });
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(
            `fuzz seed ${SEED}, operation ${index}: ${message}\n  ${describeOperation(op)}`,
            { cause: error },
          );
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      // One last tick after every attack, so "all ticks arrived" covers the whole run.
      live.broadcast({ type: TICK, data: ticks }, { room });
      ticks += 1;

      const expected = Array.from({ length: ticks }, (_, n) => n);
      for (const client of clients) {
        await until(
          () => (client.ticks.length >= ticks ? true : undefined),
          `${client.name} to receive ${ticks} ticks (has ${client.ticks.length})`,
          10_000,
        );
        expect(client.ticks, `${client.name} ticks`).toEqual(expected);
      }

      await until(
        () => (live.clients.size === wellBehavedIds.size ? true : undefined),
        `only the ${wellBehavedIds.size} well-behaved connections to remain`,
        10_000,
      ).catch((error: Error) => {
        const left = live.inspect().connections.filter(({ id }) => !wellBehavedIds.has(id));
        throw new Error(`${error.message}; leaked: ${JSON.stringify(left)}`);
      });
      const snapshot = live.inspect();
      expect(new Set(live.clients.keys())).toEqual(wellBehavedIds);
      expect(new Set(snapshot.connections.map(({ id }) => id))).toEqual(wellBehavedIds);
      expect(snapshot.supervisor.connections).toBe(wellBehavedIds.size);
      for (const [name, members] of live.rooms) {
        for (const member of members) expect(wellBehavedIds, `member of ${name}`).toContain(member);
      }
      expect(live.rooms.get(room)).toEqual(wellBehavedIds);

      for (const error of errors) {
        expect(error).toBeInstanceOf(BrokerError);
        expect(KNOWN_CODES).toContain((error as BrokerError).code);
      }
      expect(statuses.filter(({ status }) => status >= 500)).toEqual([]);

      // FUZZ_DEBUG=1 prints what the run exercised, to check a change of weights still reaches
      // the broker's deeper paths (202s, 200 streams, each error code).
      if (process.env.FUZZ_DEBUG) {
        const tally = (values: readonly string[]) => {
          const counts = new Map<string, number>();
          for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
          return [...counts].map(([value, count]) => `${value}=${count}`).join(" ");
        };
        console.log(`operations ${tally(operations.map((op) => op.kind))}`);
        console.log(`statuses ${tally(statuses.map(({ status }) => String(status)))}`);
        console.log(`errors ${tally(errors.map((error) => (error as BrokerError).code))}`);
      }
    } catch (error) {
      if (error instanceof Error && !error.message.startsWith("fuzz seed")) {
        error.message = `fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED}): ${error.message}`;
      }
      throw error;
    }
  });
});
