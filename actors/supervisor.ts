import { assertEvent, enqueueActions, setup, spawnChild } from "xstate";
import type { Codec } from "../protocols/codec.js";
import { broadcastCommand, relay } from "../src/cluster/link.js";
import { CloseCode } from "../src/constants.js";
import { handlerFailure, internalFailure, roomLimitError } from "../src/errors.js";
import { OutboundFrame } from "../src/outbound-frame.js";
import { sharedChannelsFor } from "../src/sse/shared-channels.js";
import { ConnectionRegistry, NO_ROOMS } from "./connection-registry.js";
import {
  appendSafely,
  deliverText,
  encoderOf,
  encodeText,
  fanOut,
  recordsOf,
  replayMissed,
  sendTo,
} from "./delivery.js";
import type { ConnectionRecord } from "./hooks.js";
import { releaseStartOptions } from "./started-options.js";
import {
  closeAfterHeld,
  forwardWhileActive,
  queueOf,
  releaseEmptied,
  roomsOf,
} from "./supervisor-helpers.js";
import type { SupervisorContext, SupervisorEvent, SupervisorInput } from "./supervisor-types.js";
import { timerLogic } from "./timer.js";
import { WriteBatch } from "./write-batch.js";

export type {
  BroadcastTarget,
  ChannelSettings,
  DeliveryReport,
  SupervisorContext,
  SupervisorEvent,
  SupervisorInput,
  TimerInfo,
} from "./supervisor-types.js";

/**
 * The broker's one supervisor: it registers connection actors, owns the rooms and the server
 * timers (as child actors), delivers whispers and broadcasts, and drains everything on shutdown.
 * The hot path (a broadcast) costs one event here, one encoding per codec and one transport
 * write per recipient; no per-recipient actor event.
 */
export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
  },
  actors: { timer: timerLogic },
  guards: {
    noConnections: ({ context }) => context.registry.size === 0,
  },
  actions: {
    // Connection actors are created by the broker (in pooled actor systems, see
    // ActorSystemPool) and registered and started here.
    admitConnection: ({ context, event }) => {
      assertEvent(event, "connection.accept");
      const { id, ref, transport, codec } = event;
      const record: ConnectionRecord = {
        id,
        transport,
        codec,
        rooms: NO_ROOMS,
        ref,
        deliverable: true,
      };
      context.registry.add(record);
      for (const room of event.rooms ?? []) {
        context.registry.join(id, room);
        context.channels?.histories.getOrCreate(room);
      }
      // Replay before anything live: this action runs to completion, so no delivery can land
      // between the replayed events and the first live one (no gap, no duplicate). A shared
      // history replays later and holds the channel's live deliveries back until then.
      const channel = event.rooms?.[0];
      if (event.rooms?.length) context.shared?.touch(event.rooms);
      if (channel !== undefined && event.resumeFrom !== undefined && context.channels) {
        if (context.shared) context.shared.resume(id, channel, event.resumeFrom, transport);
        else replayMissed(context.channels, channel, event.resumeFrom, transport);
      }
      context.hooks.admitted(record);
      if (event.rooms?.length) context.cluster?.presence(id, event.rooms, "join");
      transport.bind(forwardWhileActive.bind(ref));
      ref.start();
      releaseStartOptions(ref);
      ref.send({ type: "connection.registered" });
    },
    refuseConnection: ({ event }) => {
      assertEvent(event, "connection.accept");
      event.transport.close(CloseCode.GOING_AWAY, "server shutting down");
    },
    markClosing: ({ context, event }) => {
      assertEvent(event, "connection.closing");
      const record = context.registry.get(event.id);
      if (record) record.deliverable = false;
    },
    unregisterConnection: ({ context, event }) => {
      assertEvent(event, "connection.closed");
      const rooms = roomsOf(context.registry.get(event.id));
      const record = context.registry.remove(event.id);
      if (!record) return;
      releaseEmptied(context, rooms);
      context.shared?.forget(event.id);
      if (rooms.length > 0) context.cluster?.presence(event.id, rooms, "leave");
      context.hooks.disconnected(record, { code: event.code, reason: event.reason });
    },
    reapFailedConnection: ({ context, event }) => {
      assertEvent(event, "connection.failed");
      const rooms = roomsOf(context.registry.get(event.id));
      const record = context.registry.remove(event.id);
      if (!record) return;
      releaseEmptied(context, rooms);
      context.shared?.forget(event.id);
      if (rooms.length > 0) context.cluster?.presence(event.id, rooms, "leave");
      record.transport.close(CloseCode.INTERNAL_ERROR, "internal error");
      context.hooks.failed(
        event.id,
        internalFailure(`connection ${event.id} stopped`, event.error),
      );
      context.hooks.disconnected(record, {
        code: CloseCode.INTERNAL_ERROR,
        reason: "internal error",
      });
    },
    deliverPayload: ({ context, event }) => {
      assertEvent(event, "client.send");
      const record = context.registry.get(event.id);
      // Not this node's client: perhaps another node's.
      if (!record) {
        const { id, payload } = event;
        return relay(context.cluster, event, { kind: "whisper", id, payload });
      }
      deliverText(
        record,
        (codec) => codec.encode(event.payload),
        context.hooks,
        queueOf(context, event),
      );
    },
    deliverEvent: ({ context, event }) => {
      assertEvent(event, "client.emit");
      const record = context.registry.get(event.id);
      if (!record) {
        const { id, event: name, data } = event;
        return relay(context.cluster, event, { kind: "emit", id, event: name, data });
      }
      deliverText(
        record,
        (codec) => codec.encodeEvent(event.event, event.data),
        context.hooks,
        queueOf(context, event),
      );
    },
    deliverFrame: ({ context, event }) => {
      assertEvent(event, "client.frame");
      sendTo(context.registry.get(event.id), event.frame, queueOf(context, {}));
    },
    deliverBroadcast: ({ context, event }) => {
      assertEvent(event, "broadcast");
      // A room broadcast may be a channel delivery of the shared history: it takes it from here.
      if (context.shared && event.room !== undefined) {
        return context.shared.deliver(event, event.room);
      }
      const { hooks, channels } = context;
      const encodeWith = encoderOf(event);
      // Encode once per codec, never once per recipient.
      const frames = new Map<Codec, OutboundFrame | null>();
      // A channel's deliveries get an id and a place in its history, listeners or not.
      const history = event.room === undefined ? undefined : channels?.histories.get(event.room);
      let recorded: string | undefined;
      if (history && channels) {
        const text = encodeText(encodeWith(channels.codec), hooks, undefined);
        if (text !== null) {
          const entry = appendSafely(history, (id) => channels.withId(text, id), hooks);
          if (entry) {
            recorded = entry.id;
            frames.set(channels.codec, new OutboundFrame(entry.frame));
          }
        }
      }
      const delivered = fanOut(context, event, encodeWith, frames, queueOf(context, event));
      event.report?.(recorded === undefined ? { delivered } : { delivered, id: recorded });
      // One publication per broadcast, whatever the number of recipients here or elsewhere.
      relay(context.cluster, event, broadcastCommand(event));
    },
    replayShared: ({ context, event }) => {
      assertEvent(event, "channel.replay");
      context.shared?.replay(event, context.registry.get(event.id));
    },
    closeChannel: ({ context, event }) => {
      assertEvent(event, "channel.close");
      let closed = 0;
      for (const record of recordsOf(context.registry, [
        ...(context.registry.rooms.get(event.room) ?? []),
      ])) {
        if (record.transport.kind !== "sse") continue;
        closeAfterHeld(context, record, CloseCode.NORMAL, "channel closed");
        closed += 1;
      }
      event.report(closed);
      relay(context.cluster, event, { kind: "close", room: event.room });
    },
    closeClient: ({ context, event }) => {
      assertEvent(event, "client.close");
      const record = context.registry.get(event.id);
      if (record) closeAfterHeld(context, record, event.code, event.reason);
    },
    joinRoom: ({ context, event }) => {
      assertEvent(event, "room.join");
      const { id, room } = event;
      const record = context.registry.get(id);
      if (!record) return relay(context.cluster, event, { kind: "join", id, room });
      if (record.rooms.has(room)) return;
      const max = context.maxRoomsPerClient ?? Number.POSITIVE_INFINITY;
      if (record.rooms.size >= max) return context.hooks.failed(id, roomLimitError(id, room, max));
      context.registry.join(id, room);
      context.cluster?.presence(id, [room], "join");
    },
    leaveRoom: ({ context, event }) => {
      assertEvent(event, "room.leave");
      const { id, room } = event;
      const record = context.registry.get(id);
      if (!record) return relay(context.cluster, event, { kind: "leave", id, room });
      if (!record.rooms.has(room)) return;
      context.registry.leave(id, room);
      releaseEmptied(context, [room]);
      context.cluster?.presence(id, [room], "leave");
    },
    startTimer: spawnChild("timer", {
      id: ({ event }) => {
        assertEvent(event, "timer.set");
        return event.timerId;
      },
      input: ({ context, event }) => {
        assertEvent(event, "timer.set");
        const { timerId, kind, ms, callback } = event;
        return {
          timerId,
          kind,
          ms,
          callback,
          onError: (error: unknown) =>
            context.hooks.failed(undefined, handlerFailure(`${kind} ${timerId}`, error)),
        };
      },
    }),
    recordTimer: ({ context, event }) => {
      assertEvent(event, "timer.set");
      context.timers.set(event.timerId, { kind: event.kind, ms: event.ms });
    },
    stopTimer: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, ["timer.clear", "timer.fired"]);
      if (!context.timers.delete(event.timerId)) return;
      enqueue.stopChild(event.timerId);
    }),
    stopAllTimers: enqueueActions(({ context, enqueue }) => {
      for (const timerId of context.timers.keys()) enqueue.stopChild(timerId);
      context.timers.clear();
    }),
    closeAllConnections: ({ context, event }) => {
      assertEvent(event, "shutdown");
      for (const record of context.registry.connections.values()) {
        closeAfterHeld(context, record, event.code, event.reason);
      }
    },
  },
}).createMachine({
  id: "supervisor",
  description: "Owns connections, rooms and timers; delivers whispers and broadcasts.",
  context: ({ input, self }) => {
    const registry = new ConnectionRegistry();
    const writes = new WriteBatch();
    const shared = sharedChannelsFor(input, registry, writes, (event) => {
      // Replies from Redis may come after the broker stopped.
      if (self.getSnapshot().status === "active") self.send(event);
    });
    return { ...input, registry, writes, shared, timers: new Map() };
  },
  initial: "running",
  on: {
    "connection.closing": { actions: "markClosing" },
    "connection.closed": { actions: "unregisterConnection" },
    "connection.failed": { actions: "reapFailedConnection" },
    "client.send": { actions: "deliverPayload" },
    "client.emit": { actions: "deliverEvent" },
    "client.frame": { actions: "deliverFrame" },
    "client.close": { actions: "closeClient" },
    broadcast: { actions: "deliverBroadcast" },
    "channel.replay": { actions: "replayShared" },
    "channel.close": { actions: "closeChannel" },
    "room.join": { actions: "joinRoom" },
    "room.leave": { actions: "leaveRoom" },
    "timer.clear": { actions: "stopTimer" },
    "timer.fired": { actions: "stopTimer" },
  },
  states: {
    running: {
      description: "Accepting connections, delivering frames and running timers.",
      on: {
        "connection.accept": { actions: "admitConnection" },
        "timer.set": { actions: ["recordTimer", "startTimer"] },
        shutdown: { target: "draining" },
      },
    },
    draining: {
      description: "Shutting down: timers stopped, every client asked to close; no new clients.",
      entry: ["stopAllTimers", "closeAllConnections"],
      always: { guard: "noConnections", target: "settling" },
      on: {
        "connection.accept": { actions: "refuseConnection" },
      },
    },
    settling: {
      description:
        "Every connection has closed; what the last disconnect listeners asked for is still applied.",
      // The last `disconnect` listeners run inside this step and their calls (a goodbye
      // broadcast) wait in the mailbox behind it; a delayed event comes after them.
      after: { 0: { target: "stopped" } },
      on: {
        "connection.accept": { actions: "refuseConnection" },
      },
    },
    stopped: {
      description: "Every connection has closed; the broker is stopped.",
      type: "final",
    },
  },
});

export type SupervisorActorRef = import("xstate").ActorRefFrom<typeof supervisorMachine>;
