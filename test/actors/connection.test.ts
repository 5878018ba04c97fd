import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createActor, fromCallback, waitFor } from "xstate";
import type { ConnectionNotice, HeartbeatSettings } from "../../actors/connection.js";
import type { Codec } from "../../protocols/codec.js";
import { json } from "../../protocols/json.js";
import { separator } from "../../protocols/separator.js";
import { CloseCode } from "../../src/constants.js";
import { BrokerError, ErrorCode } from "../../src/errors.js";
import {
  type ConnectionFailed,
  connectionActor,
  fakeTransport,
  recordingHooks,
  reportingPool,
} from "./fakes.js";

const ID = "c1";

interface Options {
  readonly codec?: Codec;
  readonly heartbeat?: HeartbeatSettings;
  readonly closeTimeout?: number;
  /** Send `connection.registered` right after start (as the supervisor does). */
  readonly register?: boolean;
}

/**
 * Starts a connection actor the way the broker and supervisor do: under the next parent of an
 * actor system pool (`systems`), with a recording actor as its supervisor, wired to a fake
 * transport whose events reach the actor through the sink given to `bind`.
 */
function startConnection(options: Options = {}) {
  const received: (ConnectionNotice | ConnectionFailed)[] = [];
  const supervisor = createActor(
    fromCallback<ConnectionNotice | ConnectionFailed>(({ receive }) => {
      receive((event) => received.push(event));
    }),
  ).start();
  const transport = fakeTransport();
  const hooks = recordingHooks();
  const systems = reportingPool(supervisor);
  const connection = connectionActor(supervisor, systems, {
    id: ID,
    transport,
    codec: options.codec ?? json(),
    hooks,
    heartbeat: options.heartbeat,
    closeTimeout: options.closeTimeout,
  });
  transport.bind((event) => connection.send(event));
  connection.start();
  if (options.register ?? true) connection.send({ type: "connection.registered" });
  /** Everything the connection told its supervisor, in order. */
  const notices = (): (ConnectionNotice | ConnectionFailed)[] => [...received];
  return { connection, transport, hooks, supervisor, systems, notices };
}

/** The error frame the JSON codec writes for a `bad_frame` failure, parsed. */
function errorFrames(frames: string[]): { code: string; message: string }[] {
  return frames.map((frame) => {
    const parsed: unknown = JSON.parse(frame);
    expect(parsed).toMatchObject({ type: "error", data: { code: "bad_frame" } });
    return (parsed as { data: { code: string; message: string } }).data;
  });
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("connectionMachine", () => {
  describe("lifecycle", () => {
    it("starts in connecting and does not announce itself before it is registered", () => {
      const { connection, hooks } = startConnection({ register: false });
      expect(connection.getSnapshot().value).toBe("connecting");
      expect(hooks.calls.connected).toEqual([]);
    });

    it("opens on connection.registered and calls hooks.connected once", async () => {
      const { connection, hooks } = startConnection();
      await waitFor(connection, (snapshot) => snapshot.matches("open"));
      expect(connection.getSnapshot().value).toEqual({ open: "alive" });
      expect(hooks.calls.connected).toEqual([ID]);
      connection.send({ type: "connection.registered" });
      expect(hooks.calls.connected).toEqual([ID]);
    });

    it("closes from connecting when the peer goes away before registration", () => {
      const { connection, notices } = startConnection({ register: false });
      connection.send({ type: "socket.closed", code: 1000, reason: "early" });
      expect(connection.getSnapshot().status).toBe("done");
      expect(notices()).toEqual([
        { type: "connection.closed", id: ID, code: 1000, reason: "early" },
      ]);
    });
  });

  describe("decoding", () => {
    it("delivers a JSON text frame to hooks.received", () => {
      const { transport, hooks } = startConnection({ codec: json() });
      transport.push({ type: "socket.message", frame: '{"type":"chat","data":"hi","id":3}' });
      expect(hooks.calls.received).toEqual([
        { id: ID, message: { event: "chat", data: "hi", ackId: 3 } },
      ]);
      expect(transport.sent()).toEqual([]);
    });

    it("delivers a separator text frame to hooks.received", () => {
      const { transport, hooks } = startConnection({ codec: separator("|") });
      transport.push({ type: "socket.message", frame: "#chat|hello|world" });
      transport.push({ type: "socket.message", frame: "plain text" });
      expect(hooks.calls.received).toEqual([
        { id: ID, message: { event: "#chat", data: ["hello", "world"] } },
        { id: ID, message: { event: "message", data: "plain text" } },
      ]);
    });

    it("answers a malformed frame with an error frame and stays open", () => {
      const { connection, transport, hooks } = startConnection({ codec: json() });
      transport.push({ type: "socket.message", frame: "not json" });
      expect(errorFrames(transport.sent())).toEqual([
        { code: "bad_frame", message: "Invalid frame: not JSON" },
      ]);
      expect(hooks.calls.received).toEqual([]);
      expect(connection.getSnapshot().value).toEqual({ open: "alive" });
      expect(transport.closes).toEqual([]);

      transport.push({ type: "socket.message", frame: '{"type":"chat"}' });
      expect(hooks.calls.received).toHaveLength(1);
    });

    it.each(['{"type":"error"}', '{"type":"__proto__"}', '{"type":"constructor"}'])(
      "rejects the reserved event name in %s with a bad_frame error frame",
      (frame) => {
        const { connection, transport, hooks } = startConnection({ codec: json() });
        transport.push({ type: "socket.message", frame });
        const [error] = errorFrames(transport.sent());
        expect(transport.sent()).toHaveLength(1);
        expect(error?.message).toMatch(/^Invalid frame: event name ".+" is reserved$/);
        expect(hooks.calls.received).toEqual([]);
        expect(connection.getSnapshot().value).toEqual({ open: "alive" });
      },
    );

    it("answers a binary frame with a bad_frame error frame and stays open", () => {
      const { connection, transport, hooks } = startConnection({ codec: json() });
      transport.push({ type: "socket.binary", byteLength: 4 });
      const [error] = errorFrames(transport.sent());
      expect(error?.message).toMatch(/^Invalid frame: binary frames/);
      expect(hooks.calls.received).toEqual([]);
      expect(connection.getSnapshot().value).toEqual({ open: "alive" });
    });

    it("writes error frames with its own codec", () => {
      const { transport } = startConnection({ codec: separator("|") });
      transport.push({ type: "socket.binary", byteLength: 1 });
      expect(transport.sent()).toEqual([
        "#error|bad_frame|Invalid frame: binary frames are not accepted by the separator codec",
      ]);
    });
  });

  describe("heartbeat", () => {
    const heartbeat = { interval: 1_000, timeout: 500 };

    it("schedules its delayed transitions on the global (here: fake) clock", () => {
      startConnection({ heartbeat });
      expect(vi.getTimerCount()).toBe(1);
    });

    it("keeps its delayed transitions in its pool shard's actor system, not its supervisor's", () => {
      const { connection, supervisor, systems } = startConnection({ heartbeat });
      const [shard, ...others] = systems.roots;
      expect(others).toEqual([]);
      expect(connection.system).toBe(shard?.system);
      expect(connection.system).not.toBe(supervisor.system);
      expect(Object.keys(connection.system.getSnapshot()._scheduledEvents)).toHaveLength(1);
      expect(Object.keys(supervisor.system.getSnapshot()._scheduledEvents)).toEqual([]);
    });

    it("pings after heartbeatInterval and returns to alive on pong", () => {
      const { connection, transport } = startConnection({ heartbeat });
      vi.advanceTimersByTime(999);
      expect(transport.calls.ping).toBe(0);
      expect(connection.getSnapshot().value).toEqual({ open: "alive" });

      vi.advanceTimersByTime(1);
      expect(transport.calls.ping).toBe(1);
      expect(connection.getSnapshot().value).toEqual({ open: "probing" });

      transport.push({ type: "socket.pong" });
      expect(connection.getSnapshot().value).toEqual({ open: "alive" });

      vi.advanceTimersByTime(1_000);
      expect(transport.calls.ping).toBe(2);
      vi.advanceTimersByTime(499);
      transport.push({ type: "socket.pong" });
      vi.advanceTimersByTime(1);
      expect(connection.getSnapshot().value).toEqual({ open: "alive" });
      expect(transport.calls.terminate).toBe(0);
    });

    it("keeps announcing connect once across heartbeat cycles", () => {
      const { transport, hooks } = startConnection({ heartbeat });
      for (let i = 0; i < 3; i++) {
        vi.advanceTimersByTime(1_000);
        transport.push({ type: "socket.pong" });
      }
      expect(transport.calls.ping).toBe(3);
      expect(hooks.calls.connected).toEqual([ID]);
    });

    it("terminates the transport and closes with 1006 when no pong arrives in time", () => {
      const { connection, transport, notices } = startConnection({ heartbeat });
      vi.advanceTimersByTime(1_000);
      expect(connection.getSnapshot().value).toEqual({ open: "probing" });
      vi.advanceTimersByTime(499);
      expect(transport.calls.terminate).toBe(0);

      vi.advanceTimersByTime(1);
      expect(transport.calls.terminate).toBe(1);
      expect(transport.closes).toEqual([]);
      expect(connection.getSnapshot().value).toBe("closed");
      expect(connection.getSnapshot().status).toBe("done");
      expect(notices()).toEqual([
        {
          type: "connection.closed",
          id: ID,
          code: CloseCode.ABNORMAL,
          reason: "heartbeat timeout",
        },
      ]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("never pings when heartbeatInterval is 0", () => {
      const { connection, transport } = startConnection({ heartbeat: { interval: 0, timeout: 0 } });
      vi.advanceTimersByTime(60 * 60 * 1_000);
      expect(transport.calls.ping).toBe(0);
      expect(connection.getSnapshot().value).toEqual({ open: "alive" });
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe("closing", () => {
    it("closes on connection.close with the server's code once the socket reports closed", () => {
      const { connection, transport, notices } = startConnection();
      connection.send({ type: "connection.close", code: 1001, reason: "server shutting down" });
      expect(connection.getSnapshot().value).toBe("closing");
      expect(notices()).toEqual([{ type: "connection.closing", id: ID }]);
      expect(transport.closes).toEqual([{ code: 1001, reason: "server shutting down" }]);

      transport.push({ type: "socket.closed", code: 1000, reason: "" });
      expect(connection.getSnapshot().value).toBe("closed");
      expect(connection.getSnapshot().status).toBe("done");
      expect(notices()).toEqual([
        { type: "connection.closing", id: ID },
        { type: "connection.closed", id: ID, code: 1001, reason: "server shutting down" },
      ]);
      expect(transport.calls.terminate).toBe(0);
    });

    it("terminates the transport when the close handshake outlasts closeTimeout", () => {
      const { connection, transport, notices } = startConnection({ closeTimeout: 2_000 });
      connection.send({ type: "connection.close", code: 1001, reason: "bye" });
      vi.advanceTimersByTime(1_999);
      expect(connection.getSnapshot().value).toBe("closing");
      expect(transport.calls.terminate).toBe(0);

      vi.advanceTimersByTime(1);
      expect(transport.calls.terminate).toBe(1);
      expect(connection.getSnapshot().value).toBe("closed");
      expect(notices().at(-1)).toEqual({
        type: "connection.closed",
        id: ID,
        code: 1001,
        reason: "bye",
      });
    });

    it("closes with the peer's code when the peer closes while open", () => {
      const { connection, transport, notices } = startConnection();
      transport.push({ type: "socket.closed", code: 1000, reason: "bye" });
      expect(connection.getSnapshot().value).toBe("closed");
      expect(connection.getSnapshot().status).toBe("done");
      expect(notices()).toEqual([{ type: "connection.closed", id: ID, code: 1000, reason: "bye" }]);
      expect(transport.closes).toEqual([]);
    });

    it("stops its heartbeat once closing", () => {
      const { connection, transport } = startConnection({
        heartbeat: { interval: 1_000, timeout: 500 },
        closeTimeout: 60_000,
      });
      connection.send({ type: "connection.close", code: 1000, reason: "" });
      vi.advanceTimersByTime(10_000);
      expect(transport.calls.ping).toBe(0);
      expect(connection.getSnapshot().value).toBe("closing");
    });
  });

  describe("transport errors", () => {
    it("maps WS_ERR_UNSUPPORTED_MESSAGE_LENGTH to SB_ERR_PAYLOAD_TOO_LARGE with close code 1009", () => {
      const { connection, transport, hooks } = startConnection();
      const cause = Object.assign(new Error("Max payload size exceeded"), {
        code: "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
      });
      transport.push({ type: "socket.error", error: cause });
      expect(hooks.calls.failed).toHaveLength(1);
      const failure = hooks.calls.failed[0];
      expect(failure?.id).toBe(ID);
      expect(failure?.error).toBeInstanceOf(BrokerError);
      expect(failure?.error.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
      expect(failure?.error.closeCode).toBe(CloseCode.MESSAGE_TOO_BIG);
      expect(failure?.error.cause).toBe(cause);
      expect(connection.getSnapshot().value).toEqual({ open: "alive" });
    });

    it("maps WS_ERR_INVALID_UTF8 to SB_ERR_TRANSPORT_FAILED with close code 1007", () => {
      const { transport, hooks } = startConnection();
      const cause = Object.assign(new Error("invalid UTF-8 sequence"), {
        code: "WS_ERR_INVALID_UTF8",
      });
      transport.push({ type: "socket.error", error: cause });
      expect(hooks.calls.failed[0]?.error.code).toBe(ErrorCode.TRANSPORT_FAILED);
      expect(hooks.calls.failed[0]?.error.closeCode).toBe(CloseCode.INVALID_PAYLOAD);
    });

    it("reports any other transport error as SB_ERR_TRANSPORT_FAILED without a close code", () => {
      const { transport, hooks } = startConnection();
      transport.push({ type: "socket.error", error: new Error("ECONNRESET") });
      expect(hooks.calls.failed[0]?.error.code).toBe(ErrorCode.TRANSPORT_FAILED);
      expect(hooks.calls.failed[0]?.error.closeCode).toBeUndefined();
      expect(hooks.calls.failed[0]?.error.message).toBe("Transport failed: ECONNRESET");
    });
  });
});
