import { describe, expect, it } from "vitest";
import { reconnectDelay } from "../../src/cluster/backoff.js";
import {
  type ClusterMessage,
  decodeClusterMessage,
  encodeClusterMessage,
} from "../../src/cluster/messages.js";

const node = "V1StGXR8_Z5jdHi6B-myT";
const client = {
  id: "c1",
  node,
  address: "127.0.0.1",
  transport: "websocket",
  protocol: "json",
  rooms: ["lobby"],
} as const;

const EVERY_KIND: readonly ClusterMessage[] = [
  { v: 1, node, kind: "broadcast", payload: { a: [1, "x"] } },
  { v: 1, node, kind: "broadcast", payload: "hi", event: "tick", room: "r", except: ["c2"] },
  // A channel delivery recorded in the shared SSE history, with the posting node's token.
  { v: 1, node, kind: "broadcast", payload: "hi", event: "tick", room: "r", id: "e:1-0", ref: "7" },
  { v: 1, node, kind: "whisper", id: "c1", payload: "psst" },
  { v: 1, node, kind: "emit", id: "c1", event: "#poke", data: ["a", "b"] },
  { v: 1, node, kind: "join", id: "c1", room: "lobby" },
  { v: 1, node, kind: "leave", id: "c1", room: "lobby" },
  { v: 1, node, kind: "close", room: "news" },
  { v: 1, node, kind: "presence", id: "c1", rooms: ["a", "b"], action: "leave" },
  { v: 1, node, kind: "fetch", request: "q1" },
  { v: 1, node, kind: "fetch", request: "q2", room: "lobby" },
  { v: 1, node, kind: "reply", request: "q1", to: "other", clients: [client] },
];

describe("cluster messages", () => {
  it.each(EVERY_KIND.map((message) => [message.kind, message]))(
    "round-trips a %s message through its JSON text",
    (_kind, message) => {
      const text = encodeClusterMessage(message);
      expect(JSON.parse(text)).toEqual(message);
      expect(decodeClusterMessage(text)).toEqual({ ok: true, message });
    },
  );

  it("keeps fields it does not know, so later versions may add some", () => {
    const text = JSON.stringify({ v: 1, node, kind: "close", room: "r", shard: 3 });
    expect(decodeClusterMessage(text)).toMatchObject({ ok: true, message: { room: "r" } });
  });

  it.each([
    ["not json", "not JSON"],
    ["[1,2]", "not a JSON object"],
    [JSON.stringify({ v: 2, node, kind: "close", room: "r" }), "unsupported protocol version 2"],
    [JSON.stringify({ node, kind: "close", room: "r" }), "unsupported protocol version undefined"],
    [JSON.stringify({ v: 1, kind: "close", room: "r" }), "no node id"],
    [JSON.stringify({ v: 1, node, kind: "teleport" }), 'unknown kind "teleport"'],
    [JSON.stringify({ v: 1, node, kind: "toString" }), 'unknown kind "toString"'],
    [JSON.stringify({ v: 1, node, kind: "whisper" }), "malformed whisper message"],
    [JSON.stringify({ v: 1, node, kind: "join", id: "c1", room: 7 }), "malformed join message"],
    [
      JSON.stringify({ v: 1, node, kind: "broadcast", except: "c1" }),
      "malformed broadcast message",
    ],
    [JSON.stringify({ v: 1, node, kind: "broadcast", id: 1 }), "malformed broadcast message"],
    [
      JSON.stringify({ v: 1, node, kind: "presence", id: "c", rooms: ["a"], action: "stay" }),
      "malformed presence message",
    ],
    [
      JSON.stringify({ v: 1, node, kind: "reply", request: "q", to: "n", clients: [{ id: 1 }] }),
      "malformed reply message",
    ],
  ])("refuses %s (%s) without throwing", (text, reason) => {
    expect(decodeClusterMessage(text)).toEqual({ ok: false, reason });
  });

  it("throws on a payload JSON cannot carry, as JSON.stringify does", () => {
    expect(() =>
      encodeClusterMessage({ v: 1, node, kind: "whisper", id: "c", payload: 1n }),
    ).toThrow(TypeError);
  });
});

describe("reconnectDelay", () => {
  it("doubles from 100 ms up to 2 s, with jitter between half and all of each step", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((attempt) => reconnectDelay(attempt, 0.999_999))).toEqual([
      100, 200, 400, 800, 1_600, 2_000, 2_000,
    ]);
    expect([1, 2, 6].map((attempt) => reconnectDelay(attempt, 0))).toEqual([50, 100, 1_000]);
  });
});
