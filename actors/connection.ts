import { type ActorRef, assertEvent, assign, type Snapshot, sendTo, setup } from "xstate";
import type { Codec } from "../protocols/codec.js";
import { CloseCode, RESERVED_EVENT_NAMES } from "../src/constants.js";
import { BrokerError, ErrorCode } from "../src/errors.js";
import {
  INVALID_UTF8_ERROR_CODES,
  TOO_LARGE_ERROR_CODES,
  type Transport,
  type TransportEvent,
} from "../src/transport.js";
import type { ActorHooks } from "./hooks.js";

/**
 * Liveness probing, as Socket.IO does it: a ping `interval` ms after the last pong (inbound
 * frames do not count), and the peer is gone if no pong comes within `timeout` ms.
 * `interval` 0 turns it off.
 */
export interface HeartbeatSettings {
  readonly interval: number;
  readonly timeout: number;
}

/** The supervisor as a connection sees it: somewhere to send its notices. */
export type SupervisorRef = ActorRef<Snapshot<unknown>, ConnectionNotice>;

export interface ConnectionInput {
  readonly id: string;
  readonly supervisor: SupervisorRef;
  readonly transport: Transport;
  readonly codec: Codec;
  readonly heartbeat: HeartbeatSettings;
  /** How long a closing handshake may take before the socket is destroyed. */
  readonly closeTimeout: number;
  readonly hooks: ActorHooks;
}

export interface ConnectionContext extends ConnectionInput {
  /** Set once the connection knows how it ends; reported to the `disconnect` listeners. */
  readonly closeCode: number | undefined;
  readonly closeReason: string;
}

/** What the supervisor (or a handle) asks of a connection. */
export type ConnectionCommand =
  | { readonly type: "connection.registered" }
  | { readonly type: "connection.close"; readonly code: number; readonly reason: string };

export type ConnectionEvent = TransportEvent | ConnectionCommand;

/** What a connection tells its supervisor. */
export type ConnectionNotice =
  | { readonly type: "connection.closing"; readonly id: string }
  | {
      readonly type: "connection.closed";
      readonly id: string;
      readonly code: number;
      readonly reason: string;
    };

const HEARTBEAT_TIMEOUT_REASON = "heartbeat timeout";

/** Maps the transport's failure to the broker's error code (ws reports its own `code`). */
function transportFailure(error: Error): BrokerError {
  const code = (error as Error & { code?: string }).code ?? "";
  if (TOO_LARGE_ERROR_CODES.has(code)) {
    return new BrokerError(ErrorCode.PAYLOAD_TOO_LARGE, `Frame rejected: ${error.message}`, {
      cause: error,
      closeCode: CloseCode.MESSAGE_TOO_BIG,
    });
  }
  const closeCode = INVALID_UTF8_ERROR_CODES.has(code) ? CloseCode.INVALID_PAYLOAD : undefined;
  return new BrokerError(ErrorCode.TRANSPORT_FAILED, `Transport failed: ${error.message}`, {
    cause: error,
    ...(closeCode ? { closeCode } : {}),
  });
}

/**
 * One client connection, whatever its transport: it owns the lifecycle (connecting, open,
 * closing, closed), the heartbeat (delayed transitions, not stray timers) and decoding with the
 * codec it was given as input. Delivery of already-encoded broadcast frames does not pass through
 * this actor's mailbox: the supervisor writes them to the transport while the connection is open.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
  },
  delays: {
    heartbeatInterval: ({ context }) => context.heartbeat.interval,
    heartbeatTimeout: ({ context }) => context.heartbeat.timeout,
    closeTimeout: ({ context }) => context.closeTimeout,
  },
  guards: {
    heartbeatEnabled: ({ context }) => context.heartbeat.interval > 0,
  },
  actions: {
    announceConnect: ({ context }) => context.hooks.connected(context.id),
    decodeFrame: ({ context, event }) => {
      assertEvent(event, "socket.message");
      const result = context.codec.decode(event.frame);
      if (!result.ok) {
        context.transport.send(context.codec.encodeError(result.error.code, result.error.message));
        return;
      }
      if (RESERVED_EVENT_NAMES.has(result.message.event)) {
        const message = `Invalid frame: event name "${result.message.event}" is reserved`;
        context.transport.send(context.codec.encodeError("bad_frame", message));
        return;
      }
      context.hooks.received(context.id, result.message);
    },
    rejectBinary: ({ context }) => {
      const message = `Invalid frame: binary frames are not accepted by the ${context.codec.name} codec`;
      context.transport.send(context.codec.encodeError("bad_frame", message));
    },
    reportTransportError: ({ context, event }) => {
      assertEvent(event, "socket.error");
      context.hooks.failed(context.id, transportFailure(event.error));
    },
    sendPing: ({ context }) => context.transport.ping(),
    closeTransport: ({ context }) =>
      context.transport.close(context.closeCode ?? CloseCode.NORMAL, context.closeReason),
    terminateTransport: ({ context }) => context.transport.terminate(),
    recordRequestedClose: assign(({ event }) => {
      assertEvent(event, "connection.close");
      return { closeCode: event.code, closeReason: event.reason };
    }),
    // A close the server asked for keeps the server's code; otherwise the peer's code stands.
    recordPeerClose: assign(({ context, event }) => {
      assertEvent(event, "socket.closed");
      if (context.closeCode !== undefined) return {};
      return { closeCode: event.code, closeReason: event.reason };
    }),
    // ws closes the socket itself after a protocol failure (1007, 1009) and then reports 1006
    // as the peer's code; the code the failure implies is the one the client was sent.
    recordTransportFailure: assign(({ context, event }) => {
      assertEvent(event, "socket.error");
      if (context.closeCode !== undefined) return {};
      const { closeCode } = transportFailure(event.error);
      return closeCode === undefined ? {} : { closeCode, closeReason: event.error.message };
    }),
    recordHeartbeatTimeout: assign({
      closeCode: CloseCode.ABNORMAL,
      closeReason: HEARTBEAT_TIMEOUT_REASON,
    }),
    recordCloseTimeout: assign(({ context }) => ({
      closeCode: context.closeCode ?? CloseCode.ABNORMAL,
    })),
    notifyClosing: sendTo(
      ({ context }) => context.supervisor,
      ({ context }): ConnectionNotice => ({ type: "connection.closing", id: context.id }),
    ),
    notifyClosed: sendTo(
      ({ context }) => context.supervisor,
      ({ context }): ConnectionNotice => ({
        type: "connection.closed",
        id: context.id,
        code: context.closeCode ?? CloseCode.ABNORMAL,
        reason: context.closeReason,
      }),
    ),
  },
}).createMachine({
  id: "connection",
  description: "One client connection: lifecycle, heartbeat and decoding with its codec.",
  context: ({ input }) => ({ ...input, closeCode: undefined, closeReason: "" }),
  initial: "connecting",
  on: {
    "socket.error": { actions: ["recordTransportFailure", "reportTransportError"] },
  },
  states: {
    connecting: {
      description: "The transport is up; waiting for the supervisor to register the connection.",
      on: {
        "connection.registered": { target: "open" },
        "connection.close": { target: "closing", actions: "recordRequestedClose" },
        "socket.closed": { target: "closed", actions: "recordPeerClose" },
      },
    },
    open: {
      description: "Registered and exchanging frames; the heartbeat pings the peer periodically.",
      entry: "announceConnect",
      initial: "alive",
      states: {
        alive: {
          description:
            "The peer answered the last ping; the next goes out after heartbeatInterval.",
          after: {
            heartbeatInterval: { guard: "heartbeatEnabled", target: "probing" },
          },
        },
        probing: {
          description: "A ping is out; no pong within heartbeatTimeout means the peer is gone.",
          entry: "sendPing",
          on: {
            "socket.pong": { target: "alive" },
          },
          after: {
            heartbeatTimeout: {
              target: "#connection.closed",
              actions: ["recordHeartbeatTimeout", "terminateTransport"],
            },
          },
        },
      },
      on: {
        "socket.message": { actions: "decodeFrame" },
        "socket.binary": { actions: "rejectBinary" },
        "connection.close": { target: "closing", actions: "recordRequestedClose" },
        "socket.closed": { target: "closed", actions: "recordPeerClose" },
      },
    },
    closing: {
      description: "A close handshake is under way; queued frames are flushed before it ends.",
      entry: ["notifyClosing", "closeTransport"],
      on: {
        "socket.closed": { target: "closed", actions: "recordPeerClose" },
      },
      after: {
        closeTimeout: { target: "closed", actions: ["recordCloseTimeout", "terminateTransport"] },
      },
    },
    closed: {
      description: "The transport is gone; the supervisor unregisters the connection.",
      type: "final",
      entry: "notifyClosed",
    },
  },
});

export type ConnectionActorRef = import("xstate").ActorRefFrom<typeof connectionMachine>;
