import { assertEvent, assign, enqueueActions, sendTo, setup } from "xstate";
import { CloseCode } from "../src/constants.js";
import { ErrorCode, wireCode } from "../src/errors.js";
import { fullBucket, spend } from "../src/rate-limit.js";
import {
  decodeInbound,
  RATE_LIMIT_REASON,
  refuseFrame,
  reportRateLimitClose,
  transportFailure,
} from "./connection-inbound.js";
import type {
  ConnectionContext,
  ConnectionEvent,
  ConnectionInput,
  ConnectionNotice,
} from "./connection-types.js";

export type {
  AuthSettings,
  ConnectionCommand,
  ConnectionContext,
  ConnectionEvent,
  ConnectionInput,
  ConnectionNotice,
  ConnectionSettings,
  HeartbeatSettings,
  SlowConsumerPolicy,
  SupervisorRef,
} from "./connection-types.js";

const HEARTBEAT_TIMEOUT_REASON = "heartbeat timeout";
const SLOW_CONSUMER_REASON = "slow consumer";
const AUTH_EXPIRED_REASON = "auth expired";

/**
 * Whether a frame arrives while the credentials are expired: then only auth frames get through
 * and anything else is answered auth_expired.
 */
interface Inbound {
  readonly expired: boolean;
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
    heartbeatInterval: ({ context }) => context.settings.heartbeat.interval,
    heartbeatTimeout: ({ context }) => context.settings.heartbeat.timeout,
    closeTimeout: ({ context }) => context.settings.closeTimeout,
    lagTimeout: ({ context }) => context.settings.slowConsumer.lagTimeout,
    // A ping cannot get past a lagging client's backlog, but the backlog stops growing while it
    // lags (frames are skipped), so a live peer drains it; one that has not within a whole
    // heartbeat cycle is treated as gone, as a missed pong would be.
    lagDeadline: ({ context }) =>
      context.settings.heartbeat.interval + context.settings.heartbeat.timeout,
    authGrace: ({ context }) => context.settings.auth?.grace ?? 0,
  },
  guards: {
    heartbeatEnabled: ({ context }) => context.settings.heartbeat.interval > 0,
    unmetered: ({ context }) => context.settings.rateLimit === undefined,
    closesWhenLagging: ({ context }) => context.settings.slowConsumer.policy === "close",
  },
  actions: {
    announceConnect: ({ context }) => context.settings.hooks.connected(context.id),
    decodeFrame: ({ context, event }, params: Inbound) => {
      assertEvent(event, "socket.message");
      decodeInbound(context, event.frame, params.expired);
    },

    announceExpiry: ({ context }) => {
      const message = `Credentials expired: send an auth frame within ${context.settings.auth?.grace ?? 0} ms`;
      context.transport.send(context.codec.encodeError(wireCode(ErrorCode.AUTH_EXPIRED), message));
    },
    confirmRenewal: ({ context, event }) => {
      assertEvent(event, "auth.renewed");
      const answer = event.nonce === undefined ? { ok: true } : { ok: true, nonce: event.nonce };
      context.transport.send(context.codec.encodeEvent(event.event, answer));
    },
    refuseRenewal: ({ context, event }) => {
      assertEvent(event, "auth.refused");
      const code = wireCode(ErrorCode.UNAUTHORIZED);
      context.transport.send(context.codec.encodeError(code, event.message));
    },
    recordAuthExpiredClose: assign({
      closeCode: CloseCode.POLICY_VIOLATION,
      closeReason: AUTH_EXPIRED_REASON,
    }),
    // Date.now() is read here, not in the pure bucket (src/rate-limit.ts), so tests fake time there.
    meterFrame: assign(({ context }) => {
      const limit = context.settings.rateLimit;
      if (!limit) return {};
      const now = Date.now();
      return { bucket: spend(limit, context.bucket ?? fullBucket(limit, now), now).state };
    }),
    // A frame is let through exactly when the bucket has no breach on record after spending.
    // While expired, the frames let through are still only auth frames (see decodeInbound).
    admitMeteredFrame: enqueueActions(({ context, event, enqueue }, params: Inbound) => {
      assertEvent(event, "socket.message");
      const breaches = context.bucket?.breaches ?? 0;
      if (breaches === 0) {
        enqueue(() => decodeInbound(context, event.frame, params.expired));
        return;
      }
      enqueue(() => refuseFrame(context));
      if (breaches >= (context.settings.rateLimit?.maxBreaches ?? Number.POSITIVE_INFINITY)) {
        enqueue(() => reportRateLimitClose(context));
        enqueue.raise({
          type: "connection.close",
          code: CloseCode.POLICY_VIOLATION,
          reason: RATE_LIMIT_REASON,
        });
      }
    }),
    rejectBinary: ({ context }) => {
      const message = `Invalid frame: binary frames are not accepted by the ${context.codec.name} codec`;
      context.transport.send(context.codec.encodeError("bad_frame", message));
    },
    reportTransportError: ({ context, event }) => {
      assertEvent(event, "socket.error");
      context.settings.hooks.failed(context.id, transportFailure(event.error));
    },
    sendPing: ({ context }) => context.transport.ping(),
    reportLagging: ({ context, event }) => {
      assertEvent(event, "socket.lagging");
      context.settings.hooks.lagging(context.id, event.bufferedAmount);
    },
    // The client learns how many frames it missed, so a gap is never silent.
    reportSkipped: ({ context, event }) => {
      assertEvent(event, "socket.drained");
      if (event.skipped === 0) return;
      const message = `${event.skipped} frames skipped while this connection was lagging`;
      context.transport.send(context.codec.encodeError(wireCode(ErrorCode.LAGGED), message));
    },
    recordSlowConsumerClose: assign({
      closeCode: CloseCode.TRY_AGAIN_LATER,
      closeReason: SLOW_CONSUMER_REASON,
    }),
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
      ({ context }) => context.settings.supervisor,
      ({ context }): ConnectionNotice => ({ type: "connection.closing", id: context.id }),
    ),
    notifyClosed: sendTo(
      ({ context }) => context.settings.supervisor,
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
  // Field by field, not `...input`: one literal shape for every connection's context.
  context: ({ input }) => ({
    id: input.id,
    transport: input.transport,
    codec: input.codec,
    settings: input.settings,
    bucket: undefined,
    closeCode: undefined,
    closeReason: "",
  }),
  initial: "connecting",
  on: {
    "socket.error": { actions: ["recordTransportFailure", "reportTransportError"] },
  },
  states: {
    connecting: {
      description: "The transport is up; waiting for the supervisor to register the connection.",
      on: {
        "connection.registered": { target: "open", actions: "announceConnect" },
        "connection.close": { target: "closing", actions: "recordRequestedClose" },
        "socket.closed": { target: "closed", actions: "recordPeerClose" },
      },
    },
    open: {
      description: "Registered and exchanging frames; the heartbeat pings the peer periodically.",
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
        lagging: {
          description:
            "The peer reads slower than it is sent to: frames are skipped until it drains; policy close ends it after lagTimeout, and one that never drains within a heartbeat cycle is gone.",
          entry: "reportLagging",
          on: {
            "socket.drained": { target: "alive", actions: "reportSkipped" },
          },
          after: {
            lagTimeout: {
              guard: "closesWhenLagging",
              target: "#connection.closing",
              actions: "recordSlowConsumerClose",
            },
            lagDeadline: {
              guard: "heartbeatEnabled",
              target: "#connection.closed",
              actions: ["recordHeartbeatTimeout", "terminateTransport"],
            },
          },
        },
      },
      on: {
        "socket.message": [
          { guard: "unmetered", actions: { type: "decodeFrame", params: { expired: false } } },
          { actions: ["meterFrame", { type: "admitMeteredFrame", params: { expired: false } }] },
        ],
        "socket.binary": { actions: "rejectBinary" },
        "socket.lagging": { target: ".lagging" },
        // A drain that ends a lag begun while expired (the client renewed meanwhile).
        "socket.drained": { actions: "reportSkipped" },
        "auth.expired": { target: "expired" },
        "auth.renewed": { actions: "confirmRenewal" },
        "auth.refused": { actions: "refuseRenewal" },
        "connection.close": { target: "closing", actions: "recordRequestedClose" },
        "socket.closed": { target: "closed", actions: "recordPeerClose" },
      },
    },
    expired: {
      description:
        "The credentials ran out: the client got auth_expired and has authGrace to send an auth frame; other frames are refused.",
      entry: "announceExpiry",
      on: {
        // Metered as in `open`: a flood of auth frames must not run `authenticate` per frame.
        "socket.message": [
          { guard: "unmetered", actions: { type: "decodeFrame", params: { expired: true } } },
          { actions: ["meterFrame", { type: "admitMeteredFrame", params: { expired: true } }] },
        ],
        "socket.binary": { actions: "rejectBinary" },
        // Still subject to the slow-consumer policy; under `close` an expired client that stops
        // reading gets no lag timer: it is closed at once.
        "socket.lagging": [
          {
            guard: "closesWhenLagging",
            target: "closing",
            actions: ["reportLagging", "recordSlowConsumerClose"],
          },
          { actions: "reportLagging" },
        ],
        "socket.drained": { actions: "reportSkipped" },
        "auth.renewed": { target: "open", actions: "confirmRenewal" },
        "auth.refused": { actions: "refuseRenewal" },
        "connection.close": { target: "closing", actions: "recordRequestedClose" },
        "socket.closed": { target: "closed", actions: "recordPeerClose" },
      },
      after: {
        authGrace: { target: "closing", actions: "recordAuthExpiredClose" },
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
