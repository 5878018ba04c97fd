import { afterEach, describe, expect, it } from "vitest";
import type { Broker, BrokerError, ClientHandle, DisconnectInfo } from "../../src/index.js";
import { openRaw } from "../helpers/raw-websocket.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import {
  closeEventSources,
  openStream,
  publish,
  type RawStream,
  uniqueChannel,
} from "../sse/sse-helpers.js";

// Unknown, foreign, future and 10 KB `Last-Event-ID`s on a channel with history are pinned in
// test/sse/recovery.test.ts ("starts with recovery {"recovered":false} and no partial replay
// for ..."); this file adds what a hostile client can send beyond them.

afterEach(() => closeEventSources());

/** A broker with one well-behaved stream on `channel` that has already seen event 1. */
interface Arena {
  readonly broker: Broker;
  readonly port: number;
  readonly channel: string;
  readonly bystander: RawStream;
  readonly bystanderId: string;
  /** The id of the event the channel already holds: a hostile id may try to build on it. */
  readonly firstId: string;
  readonly errors: BrokerError[];
}

async function arena(label: string): Promise<Arena> {
  const { broker, port } = await startBroker();
  const errors: BrokerError[] = [];
  broker.on("error", (_client, error) => {
    errors.push(error);
  });
  const channel = uniqueChannel(label);
  const connected = nextEvent<[ClientHandle]>(broker, "connect");
  const bystander = await openStream(port, `/events/${channel}`);
  const [{ id: bystanderId }] = await connected;
  const { id: firstId } = await publish(port, channel, "tick", "1");
  expect(await bystander.next()).toMatchObject({ type: "tick", data: "1" });
  return { broker, port, channel, bystander, bystanderId, firstId: firstId ?? "", errors };
}

/** The bystander still gets live events, nothing failed, and only it is connected. */
async function expectUnharmed(arena: Arena, data: string): Promise<void> {
  await publish(arena.port, arena.channel, "tick", data);
  expect(await arena.bystander.next()).toMatchObject({ type: "tick", data });
  expect(arena.errors).toEqual([]);
  expect(arena.broker.inspect().connections.map((connection) => connection.id)).toEqual([
    arena.bystanderId,
  ]);
}

/** A stream request written by hand, so that header bytes node:http would refuse go out. */
function rawStreamRequest(target: string, headerLines = ""): string {
  return (
    `GET /events/${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n` +
    `${headerLines}\r\n`
  );
}

describe("hostile Last-Event-IDs that Node's HTTP parser refuses", () => {
  const huge = "9".repeat(64 * 1024);
  const refused: ReadonlyArray<readonly [string, (channel: string) => string, number]> = [
    [
      "a 64 KiB Last-Event-ID header",
      (channel) => rawStreamRequest(channel, `Last-Event-ID: ${huge}\r\n`),
      431,
    ],
    [
      "a 64 KiB lastEventId query",
      (channel) => rawStreamRequest(`${channel}?lastEventId=${huge}`),
      431,
    ],
    [
      "a bare CR in Last-Event-ID",
      (channel) => rawStreamRequest(channel, "Last-Event-ID: 1\r2\r\n"),
      400,
    ],
    [
      "a bare LF in Last-Event-ID",
      (channel) => rawStreamRequest(channel, "Last-Event-ID: 1\n2\r\n"),
      400,
    ],
    [
      "a NUL in Last-Event-ID",
      (channel) => rawStreamRequest(channel, "Last-Event-ID: 1\u00002\r\n"),
      400,
    ],
    [
      "a Last-Event-ID folded over two lines",
      (channel) => rawStreamRequest(channel, "Last-Event-ID: 1\r\n 2\r\n"),
      400,
    ],
  ];

  for (const [name, request, status] of refused) {
    it(`answers ${status} to ${name}: no stream, no connection`, async () => {
      const setup = await arena("hostile-refused");
      const raw = openRaw(setup.port, request(setup.channel));
      expect((await raw.response).status).toBe(status);
      await raw.ended;
      await expectUnharmed(setup, "2");
    });
  }
});

describe("hostile Last-Event-IDs that reach the broker", () => {
  const unrecoverable: ReadonlyArray<readonly [string, (firstId: string) => string]> = [
    ["CR, LF and NUL", () => "\r\n\u0000"],
    ["a real id followed by LF", (firstId) => `${firstId}\n`],
    ["a real id followed by NUL", (firstId) => `${firstId}\u0000`],
    ["a real id, CRLF and a forged field", (firstId) => `${firstId}\r\nevent: forged`],
  ];

  for (const [name, lastEventId] of unrecoverable) {
    it(`starts with recovery {"recovered":false} and replays nothing for ${name} (query)`, async () => {
      const setup = await arena("hostile-query");
      const connected = nextEvent<[ClientHandle]>(setup.broker, "connect");
      const query = `?lastEventId=${encodeURIComponent(lastEventId(setup.firstId))}`;
      const hostile = await openStream(setup.port, `/events/${setup.channel}${query}`);
      const [{ id: hostileId }] = await connected;
      const recovery = await hostile.next();
      expect(recovery.type).toBe("recovery");
      expect(JSON.parse(recovery.data)).toEqual({ recovered: false });
      // Straight to live: event 2 is the next thing it sees; event 1 was never replayed.
      await publish(setup.port, setup.channel, "tick", "2");
      expect(await hostile.next()).toMatchObject({ type: "tick", data: "2" });
      expect(hostile.text).not.toContain("forged");
      expect(hostile.events.pending).toEqual([]);
      expect(await setup.bystander.next()).toMatchObject({ type: "tick", data: "2" });
      const gone = nextEvent<[ClientHandle, DisconnectInfo]>(setup.broker, "disconnect");
      hostile.destroy();
      expect((await gone)[0].id).toBe(hostileId);
      await expectUnharmed(setup, "3");
    });
  }

  it('starts with recovery {"recovered":false} for an id on a channel with no history at all', async () => {
    const setup = await arena("hostile-known");
    const fresh = uniqueChannel("hostile-unknown-channel");
    const connected = nextEvent<[ClientHandle]>(setup.broker, "connect");
    const hostile = await openStream(setup.port, `/events/${fresh}`, {
      headers: { "Last-Event-ID": setup.firstId },
    });
    const [{ id: hostileId }] = await connected;
    const recovery = await hostile.next();
    expect(recovery.type).toBe("recovery");
    expect(JSON.parse(recovery.data)).toEqual({ recovered: false });
    const gone = nextEvent<[ClientHandle, DisconnectInfo]>(setup.broker, "disconnect");
    hostile.destroy();
    expect((await gone)[0].id).toBe(hostileId);
    await expectUnharmed(setup, "2");
  });
});
