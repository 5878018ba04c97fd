import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import {
  type Broker,
  type BrokerError,
  type BrokerOptions,
  type ClientHandle,
  CloseCode,
  type DisconnectInfo,
  ErrorCode,
} from "../../src/index.js";
import {
  buildFrame,
  closePayload,
  type FrameSpec,
  Opcode,
  openUpgraded,
  type RawConnection,
} from "../helpers/raw-websocket.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient, type TestClient } from "../helpers/test-client.js";
import { expectBystanderServed } from "./bystander.js";

// The broker runs in this process: its memory is this process's memory. A full collection
// before each reading leaves only what is really held.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** JS heap plus Buffer memory still reachable after a full collection. */
function heldBytes(): number {
  collectGarbage();
  collectGarbage();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

const MiB = 1024 * 1024;

/** Resolves with the disconnect info of client `id`, whenever it comes. */
function disconnectOf(broker: Broker, id: string): Promise<DisconnectInfo> {
  return new Promise((resolve) => {
    const listener = (client: ClientHandle, info: DisconnectInfo) => {
      if (client.id !== id) return;
      broker.off("disconnect", listener);
      resolve(info);
    };
    broker.on("disconnect", listener);
  });
}

/** A broker with one well-behaved client and one hand-driven raw WebSocket client. */
interface Arena {
  readonly broker: Broker;
  readonly url: string;
  /** Every `error` event, in order. */
  readonly errors: BrokerError[];
  readonly bystander: TestClient;
  readonly bystanderId: string;
  readonly raw: RawConnection;
  readonly rawId: string;
  /** The raw client's disconnect, once the broker has let go of it. */
  readonly rawGone: Promise<DisconnectInfo>;
}

async function arena(options: BrokerOptions = {}): Promise<Arena> {
  const { broker, url, port } = await startBroker(options);
  const errors: BrokerError[] = [];
  broker.on("error", (_client, error) => {
    errors.push(error);
  });
  const bystanderIn = nextEvent<[ClientHandle]>(broker, "connect");
  const bystander = await connectClient(url);
  const [{ id: bystanderId }] = await bystanderIn;
  const rawIn = nextEvent<[ClientHandle]>(broker, "connect");
  const raw = await openUpgraded(port);
  const [{ id: rawId }] = await rawIn;
  return {
    broker,
    url,
    errors,
    bystander,
    bystanderId,
    raw,
    rawId,
    rawGone: disconnectOf(broker, rawId),
  };
}

/**
 * Once the hostile socket is gone: the broker holds no actor for it, the other client still
 * sends and receives, and a new client can connect.
 */
async function expectUnharmed(arena: Arena): Promise<DisconnectInfo> {
  const { broker, bystander, bystanderId, raw } = arena;
  raw.destroy();
  await raw.ended;
  const gone = await arena.rawGone;
  expect(broker.inspect().connections.map((connection) => connection.id)).toEqual([bystanderId]);
  await expectBystanderServed(broker, bystander, bystanderId);
  const newcomer = await connectClient(arena.url);
  newcomer.close(CloseCode.NORMAL);
  expect((await newcomer.closed).code).toBe(CloseCode.NORMAL);
  return gone;
}

/**
 * Writes `bytes` one per turn of the event loop, so that the server reads each as a packet of
 * its own (pacing the attack, not waiting for anything). Stops early once the server closes.
 * Returns how many bytes went out.
 */
async function dribble(raw: RawConnection, bytes: Buffer): Promise<number> {
  for (let index = 0; index < bytes.length; index += 1) {
    if (raw.frames.some((frame) => frame.opcode === Opcode.CLOSE)) return index;
    if (!raw.write(bytes.subarray(index, index + 1))) return index;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return bytes.length;
}

describe("fragmented messages", () => {
  it("closes with 1009 a message whose fragments are each under maxPayload but over it together", async () => {
    const setup = await arena({ maxPayload: 1024 });
    const { raw } = setup;
    raw.send({ opcode: Opcode.TEXT, fin: false, payload: "a".repeat(600) });
    raw.send({ opcode: Opcode.CONTINUATION, fin: false, payload: "b".repeat(600) });
    raw.send({ opcode: Opcode.CONTINUATION, fin: true, payload: "c" });
    expect((await raw.closeFrame)?.code).toBe(CloseCode.MESSAGE_TOO_BIG);
    expect(setup.errors.map((error) => error.code)).toEqual([ErrorCode.PAYLOAD_TOO_LARGE]);
    expect((await expectUnharmed(setup)).code).toBe(CloseCode.MESSAGE_TOO_BIG);
  });

  it("closes with 1008 a text frame followed by 100,000 empty continuations, holding under 4 MiB", async () => {
    const setup = await arena();
    const { raw } = setup;
    const before = heldBytes();
    const empty = buildFrame({ opcode: Opcode.CONTINUATION, fin: false });
    raw.send({ opcode: Opcode.TEXT, fin: false });
    raw.write(Buffer.concat(new Array<Buffer>(100_000).fill(empty)));
    // ws counts fragments (maxFragments, 16 384 by default) even when they are empty.
    expect((await raw.closeFrame)?.code).toBe(CloseCode.POLICY_VIOLATION);
    expect(heldBytes() - before).toBeLessThan(4 * MiB);
    expect(setup.errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/Too many message fragments/),
    ]);
    expect((await expectUnharmed(setup)).code).toBe(CloseCode.POLICY_VIOLATION);
  });
});

describe("a frame dribbled one byte per packet", () => {
  it("is delivered intact once complete, holding under 1 MiB while it trickles in", async () => {
    const setup = await arena();
    const text = "d".repeat(1024);
    const frame = buildFrame({ opcode: Opcode.TEXT, payload: text });
    const received = nextEvent<[ClientHandle, unknown]>(setup.broker, "message");
    const before = heldBytes();
    const sent = await dribble(setup.raw, frame.subarray(0, -1));
    expect(sent).toBe(frame.length - 1);
    // Everything but the last byte is in: the server holds the whole partial frame now.
    expect(heldBytes() - before).toBeLessThan(MiB);
    setup.raw.write(frame.subarray(-1));
    const [from, data] = await received;
    expect([from.id, data]).toEqual([setup.rawId, text]);
    await expectUnharmed(setup);
  });

  it("is closed with 1008 past maxPayload / 256 packets, holding under 1 MiB", async () => {
    // 64 KiB allows 256 packets for one frame; a 60 KiB frame one byte at a time needs 61 446.
    const setup = await arena({ maxPayload: 64 * 1024 });
    const frame = buildFrame({ opcode: Opcode.TEXT, payload: "e".repeat(60 * 1024) });
    const before = heldBytes();
    const sent = await dribble(setup.raw, frame);
    expect(sent).toBeLessThan(frame.length);
    expect((await setup.raw.closeFrame)?.code).toBe(CloseCode.POLICY_VIOLATION);
    expect(heldBytes() - before).toBeLessThan(MiB);
    expect(setup.errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/Too many buffered chunks/),
    ]);
    await expectUnharmed(setup);
  });
});

describe("a frame stalled halfway", () => {
  it("is cut by the heartbeat: a client mid-frame cannot answer a ping (disconnect 1006)", async () => {
    const setup = await arena({ heartbeatInterval: 100, heartbeatTimeout: 100 });
    const frame = buildFrame({ opcode: Opcode.TEXT, payload: "f".repeat(100) });
    setup.raw.write(frame.subarray(0, 50));
    const gone = await setup.rawGone;
    expect(gone).toMatchObject({ code: CloseCode.ABNORMAL, reason: "heartbeat timeout" });
    // Terminated, not closed: no close frame, just the ping it never answered.
    expect(await setup.raw.closeFrame).toBeUndefined();
    expect(setup.raw.frames.map((sent) => sent.opcode)).toEqual([Opcode.PING]);
    await expectUnharmed(setup);
  });
});

describe("protocol violations close with 1002", () => {
  const violations: ReadonlyArray<readonly [string, FrameSpec, RegExp]> = [
    [
      "RSV1 set while compression is off",
      { opcode: Opcode.TEXT, payload: "hi", rsv1: true },
      /RSV1 must be clear/,
    ],
    ["an unmasked client frame", { opcode: Opcode.TEXT, payload: "hi", masked: false }, /MASK/],
    ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map(
      (opcode) =>
        [
          `reserved opcode 0x${opcode.toString(16)}`,
          { opcode },
          new RegExp(`invalid opcode ${opcode}`),
        ] as const,
    ),
    [
      "a ping with a 126-byte payload",
      { opcode: Opcode.PING, payload: Buffer.alloc(126) },
      /invalid payload length 126/,
    ],
    [
      "a close frame with code 1005",
      { opcode: Opcode.CLOSE, payload: closePayload(1005) },
      /invalid status code 1005/,
    ],
    [
      "a close frame with code 5000",
      { opcode: Opcode.CLOSE, payload: closePayload(5000) },
      /invalid status code 5000/,
    ],
  ];

  for (const [name, spec, reported] of violations) {
    it(`for ${name}, reported as SB_ERR_TRANSPORT_FAILED`, async () => {
      const setup = await arena();
      setup.raw.send(spec);
      expect(await setup.raw.closeFrame).toEqual({ code: CloseCode.PROTOCOL_ERROR, reason: "" });
      expect(setup.errors).toHaveLength(1);
      expect(setup.errors[0]?.code).toBe(ErrorCode.TRANSPORT_FAILED);
      expect(setup.errors[0]?.message).toMatch(reported);
      expect(setup.errors[0]?.closeCode).toBe(CloseCode.PROTOCOL_ERROR);
      // The server's disconnect reports the code the client was sent, not 1006.
      expect((await expectUnharmed(setup)).code).toBe(CloseCode.PROTOCOL_ERROR);
    });
  }
});
