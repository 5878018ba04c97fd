import type { ConnectionRegistry } from "../../actors/connection-registry.js";
import { type Divert, encodeOnce, encoderOf, encodeText, fanOut } from "../../actors/delivery.js";
import type { ConnectionRecord } from "../../actors/hooks.js";
import type {
  DeliveryReport,
  SupervisorContext,
  SupervisorEvent,
  SupervisorInput,
} from "../../actors/supervisor.js";
import type { WriteBatch } from "../../actors/write-batch.js";
import type { Codec } from "../../protocols/codec.js";
import type { BroadcastCommand, HistoryStore } from "../cluster/history-store.js";
import { broadcastCommand } from "../cluster/link.js";
import { decodeClusterMessage } from "../cluster/messages.js";
import {
  isAfter,
  missedEntries,
  parseStreamEventId,
  type StreamBounds,
  type StreamEventId,
} from "../cluster/stream-ids.js";
import { CloseCode } from "../constants.js";
import { OutboundFrame } from "../outbound-frame.js";
import type { Transport } from "../transport.js";
import { HeldStreams } from "./held-streams.js";

/** The close reason of streams ended so that they resume from the shared history. */
export const RESYNC_REASON = "resync: reconnect with Last-Event-ID";

type BroadcastEvent = Extract<SupervisorEvent, { readonly type: "broadcast" }>;

/** One replayed event: its id and the broadcast as stored. */
export interface ReplayEntry {
  readonly id: string;
  readonly message: string;
}

/**
 * The supervisor event that ends a reconnecting stream's wait: what it missed, in order
 * (`missed`), or undefined when that cannot be known (then it gets `recovery: false`).
 */
export interface ResumeReplay {
  readonly type: "channel.replay";
  /** The connection id. */
  readonly id: string;
  /** The client's `Last-Event-ID`, parsed. */
  readonly last: StreamEventId;
  readonly missed: readonly ReplayEntry[] | undefined;
}

/** A stream resuming: its channel's live deliveries held back, then those it already has skipped. */
interface Resume {
  readonly room: string;
  /** Live deliveries held while the replay is read, or undefined once it was written. */
  held: { readonly stamp: StreamEventId; readonly frame: OutboundFrame }[] | undefined;
  /** After the replay: deliveries up to this id were replayed and are skipped. */
  floor: StreamEventId | undefined;
}

/**
 * A delivery of a local channel handed to the store: its other members had it at once, its
 * streams here get it when it comes back.
 */
interface Pending {
  readonly event: BroadcastEvent;
  /** The members (not streams) it was written to when it was made. */
  readonly delivered: number;
  /** The streams that were members when it was made: each holds a place for it (`HeldStreams`). */
  readonly streams: readonly string[];
  /** Its id once the store answered. */
  recorded: string | undefined;
  /** The deafness count when it was sent: an echo lost to a drop in between never comes. */
  readonly deafness: number;
  /** Gives up waiting on Redis after `HELD_DELIVERY_LIMIT_MS` (see `deliver`). */
  timer?: NodeJS.Timeout;
}

/**
 * How long a channel delivery waits for Redis (the append's answer and its echo) before it goes
 * out anyway: a Redis that stops answering without closing the connection must not hold a
 * stream's frames, and the POST waiting for its id, for good. Late, it goes out as when the
 * append fails: without an id if none came (the channel then has a gap), else with it.
 */
const HELD_DELIVERY_LIMIT_MS = 5_000;

/** The place a resuming stream's replay holds at the head of its queue (see `resume`). */
const REPLAY_PLACE = "replay";

type Context = Pick<SupervisorContext, "registry" | "hooks" | "writes" | "channels">;

/**
 * SSE channels whose ids and history live in the cluster's shared store (Redis Streams), so a
 * client may resume on any node. The supervisor hands it every room broadcast.
 *
 * Ordering: the store records and publishes a delivery in one step, and every node, the one
 * that posted it included, writes channel events to its streams in the order they come back on
 * its one subscription: the order of their ids. A delivery to a room that is a channel on this
 * node therefore reaches the room's streams here only when its echo returns; its other members
 * (WebSocket, TCP: no id) get it at once, as any room broadcast. Whatever this node sends a
 * stream after such a delivery waits behind it (`HeldStreams`), so one client still gets this
 * node's commands in the order they were made; what comes from other nodes is written at once,
 * in the subscription's order. A room that is not a channel here (no listener) is delivered to
 * its local members at once and recorded only if another node made it a channel.
 *
 * Resuming: a reconnecting stream is admitted at once, its channel's live deliveries are held
 * while the store reads what it missed, then the replay is written, then the held deliveries
 * newer than the replay, and later ones not newer than it (already replayed) are skipped.
 *
 * Redis unreachable: deliveries go out here without an id and the channel is marked; its next
 * recorded event is preceded by a gap marker, so a client whose last id is older gets
 * `recovery: {recovered:false}` rather than a replay with a hole. When the subscription comes
 * back after a drop, this node's streams missed the other nodes' events meanwhile: they are ended
 * (`RESYNC_REASON`), and EventSource reconnects with its last id and resumes from the store.
 */
export class SharedChannels {
  readonly #store: HistoryStore;
  readonly #context: Context & { readonly channels: NonNullable<Context["channels"]> };
  readonly #bounds: StreamBounds;
  readonly #send: (event: SupervisorEvent) => void;
  readonly #pending = new Map<string, Pending>();
  readonly #resumes = new Map<string, Resume>();
  readonly #held: HeldStreams;
  /** Channels with deliveries the store does not have (made while Redis was away). */
  readonly #gaps = new Set<string>();
  #sequence = 0;
  #deafness = 0;

  constructor(
    store: HistoryStore,
    context: Context & { readonly channels: NonNullable<Context["channels"]> },
    send: (event: SupervisorEvent) => void,
  ) {
    this.#store = store;
    this.#context = context;
    this.#bounds = context.channels.histories.limits;
    this.#send = send;
    this.#held = new HeldStreams(context.writes);
    store.onDeaf(() => this.#deafened());
    store.onHeard(() => this.#resync());
    store.keepAlive(() => this.#localChannels(), this.#bounds);
  }

  /**
   * A stream joined `rooms` here: their histories must exist for posts made anywhere. Only the
   * first local listener of a room asks (the keep-alive covers the others), so a crowd joining a
   * channel costs one Redis call, not one each.
   */
  touch(rooms: readonly string[]): void {
    const { registry } = this.#context;
    const first = rooms.filter((room) => (registry.rooms.get(room)?.size ?? 0) <= 1);
    if (first.length > 0) this.#store.touch(first, this.#bounds);
  }

  /**
   * Takes a frame this node sends a stream while the stream waits for one of its channel
   * deliveries: it is written behind that delivery. False: nothing waits, write it now.
   */
  readonly queue: Divert = (record, frame) => this.#held.push(record, frame);

  /** Runs `then` once stream `id` has nothing waiting for Redis (a close that must follow). */
  afterHeld(id: string, then: () => void): void {
    this.#held.afterHeld(id, then);
  }

  /** Whether any stream waits here, so a broadcast must pass its frames through `queue`. */
  get holding(): boolean {
    return this.#held.holding;
  }

  /** Delivers, records or holds a broadcast to `room` (see the class comment). */
  deliver(event: BroadcastEvent, room: string): void {
    if (event.ref !== undefined) {
      // Its own recorded delivery, back (or given up on): delivered once, whichever came first.
      const pending = this.#pending.get(event.ref);
      if (!pending) return;
      this.#pending.delete(event.ref);
      clearTimeout(pending.timer);
      this.#release(event.ref, pending, room, event.stamp);
      return;
    }
    if (event.remote) {
      this.#fanOut(event, room, event.report);
      return;
    }
    const command = broadcastCommand(event) as BroadcastCommand;
    const gap = this.#gaps.has(room);
    if (this.#context.channels.histories.get(room)) {
      this.#sequence += 1;
      const ref = String(this.#sequence);
      // Streams take a place for it now; the other members get it now, without an id.
      const streams: string[] = [];
      const delivered = fanOut(
        this.#context,
        event,
        encoderOf(event),
        new Map(),
        undefined,
        (record) => {
          if (record.transport.kind !== "sse") return true;
          this.#held.reserve(record.id, ref);
          streams.push(record.id);
          return false;
        },
      );
      const pending: Pending = {
        event,
        delivered,
        streams,
        recorded: undefined,
        deafness: this.#deafness,
      };
      this.#pending.set(ref, pending);
      pending.timer = setTimeout(() => {
        if (this.#pending.get(ref) !== pending) return;
        if (pending.recorded === undefined) this.#failed(ref, room);
        else this.#redeliver(ref, pending, pending.recorded);
      }, HELD_DELIVERY_LIMIT_MS);
      pending.timer.unref();
      this.#store
        .append({
          channel: room,
          command: { ...command, ref },
          create: true,
          gap,
          bounds: this.#bounds,
        })
        .then(
          (id) => this.#recorded(ref, room, id, gap),
          () => this.#failed(ref, room),
        );
      return;
    }
    // No stream listens to it here: local members get it now; it gets an id if it is a channel
    // on another node, which the answer then reports.
    const delivered = this.#fanOut(event, room, undefined);
    const report = event.report;
    this.#store.append({ channel: room, command, create: false, gap, bounds: this.#bounds }).then(
      (id) => {
        if (gap) this.#gaps.delete(room);
        report?.(id === undefined ? { delivered } : { delivered, id });
      },
      () => {
        this.#gaps.add(room);
        report?.({ delivered });
      },
    );
  }

  /** A stream reconnected with `lastEventId`: holds its channel's live deliveries and reads what it missed. */
  resume(id: string, room: string, lastEventId: string, transport: Transport): void {
    const last = parseStreamEventId(lastEventId);
    if (!last) {
      transport.send(this.#recoveryFailed());
      return;
    }
    this.#resumes.set(id, { room, held: [], floor: undefined });
    // The replay is the stream's first place: what this node sends it meanwhile (a welcome
    // whisper from a connect listener) queues behind the replay, as without Redis.
    this.#held.reserve(id, REPLAY_PLACE);
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (missed: readonly ReplayEntry[] | undefined) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.#send({ type: "channel.replay", id, last, missed });
    };
    // A read Redis never answers must not hold the stream (and what queues behind its replay).
    timer = setTimeout(() => finish(undefined), HELD_DELIVERY_LIMIT_MS);
    timer.unref();
    this.#store.read(room, last, this.#bounds).then(
      (range) => {
        if (range.epoch !== last.epoch) return finish(undefined);
        const missed = missedEntries(last, range.entries, range.nowMs, this.#bounds);
        finish(
          missed?.map((entry) => ({ id: `${last.epoch}:${entry.entry}`, message: entry.message })),
        );
      },
      // Redis away: the client is told it may have missed events, and goes live.
      () => finish(undefined),
    );
  }

  /** Writes a resuming stream's replay, then what was held back and is newer than it. */
  replay(event: ResumeReplay, record: ConnectionRecord | undefined): void {
    const resume = this.#resumes.get(event.id);
    if (!resume?.held) {
      this.#held.fill(event.id, record, REPLAY_PLACE, null);
      return;
    }
    const held = resume.held;
    if (!record?.deliverable) {
      this.#resumes.delete(event.id);
      this.#held.fill(event.id, record, REPLAY_PLACE, null);
      return;
    }
    const { transport } = record;
    let floor: StreamEventId | undefined;
    if (event.missed) {
      floor = event.last;
      for (const entry of event.missed) {
        const frame = this.#replayFrame(entry);
        if (frame !== null) transport.send(frame);
        floor = parseStreamEventId(entry.id) ?? floor;
      }
    } else {
      transport.send(this.#recoveryFailed());
    }
    let passed = false;
    for (const { stamp, frame } of held) {
      if (floor && !isAfter(stamp, floor)) continue;
      transport.send(frame);
      passed = true;
    }
    // Live deliveries come in id order: once one passed the floor, none can be under it.
    if (!floor || passed) this.#resumes.delete(event.id);
    else {
      resume.held = undefined;
      resume.floor = floor;
    }
    // The replay is written: what queued behind it goes out now.
    this.#held.fill(event.id, record, REPLAY_PLACE, null);
  }

  /** A connection left: nothing to hold for it any more. */
  forget(id: string): void {
    this.#resumes.delete(id);
    this.#held.forget(id);
  }

  /**
   * Its own delivery came back (`stamp`: its id) or was given up on (no id): written to the
   * streams that hold a place for it, the payload as posted here (not its JSON round trip).
   */
  #release(ref: string, pending: Pending, room: string, stamp: string | undefined): void {
    const { registry, hooks } = this.#context;
    const { event, streams } = pending;
    const encodeWith = encoderOf(event);
    const { frames, id, parsed } = this.#stamped(encodeWith, stamp);
    let delivered = pending.delivered;
    for (const streamId of streams) {
      const record = registry.get(streamId);
      let frame: OutboundFrame | null = null;
      if (record?.deliverable) {
        // Streams share the channel codec: encoded once, whatever their number.
        let encoded = frames.get(record.codec);
        if (encoded === undefined) {
          encoded = encodeOnce(encodeWith(record.codec), hooks, undefined);
          frames.set(record.codec, encoded);
        }
        frame = encoded;
      }
      if (record && frame !== null) {
        delivered += 1;
        // A resuming stream's replay decides (held until it is written, or already in it).
        if (parsed && this.#divert(record, room, parsed, frame)) frame = null;
      }
      this.#held.fill(streamId, record, ref, frame);
    }
    event.report?.(id === undefined ? { delivered } : { delivered, id });
  }

  /** Writes a delivery here, under its id if it has one; returns how many it went to. */
  #fanOut(
    event: BroadcastEvent,
    room: string,
    report: ((report: DeliveryReport) => void) | undefined,
  ): number {
    const context = this.#context;
    const encodeWith = encoderOf(event);
    const { frames, id: stamp, parsed } = this.#stamped(encodeWith, event.stamp);
    // Another node's delivery is written at once (its order is the subscription's); one made
    // here queues behind what a stream waits for.
    const queue = !event.remote && this.#held.holding ? this.queue : undefined;
    const delivered = fanOut(
      context,
      event,
      encodeWith,
      frames,
      parsed ? (record, frame) => this.#divert(record, room, parsed, frame) : queue,
    );
    report?.(stamp === undefined ? { delivered } : { delivered, id: stamp });
    return delivered;
  }

  /**
   * A delivery's frames by codec, begun with the channel codec's frame under `stamp`, its id.
   * Should that encoding fail (reported), the delivery goes out without an id: `id` is then
   * undefined. `parsed` is the id as resuming streams compare it, when any stream is resuming.
   */
  #stamped(
    encodeWith: ReturnType<typeof encoderOf>,
    stamp: string | undefined,
  ): {
    frames: Map<Codec, OutboundFrame | null>;
    id: string | undefined;
    parsed: StreamEventId | undefined;
  } {
    const { hooks, channels } = this.#context;
    const frames = new Map<Codec, OutboundFrame | null>();
    if (stamp === undefined) return { frames, id: undefined, parsed: undefined };
    const text = encodeText(
      () => channels.withId(encodeWith(channels.codec)(), stamp),
      hooks,
      undefined,
    );
    if (text === null) return { frames, id: undefined, parsed: undefined };
    frames.set(channels.codec, new OutboundFrame(text));
    const parsed = this.#resumes.size > 0 ? parseStreamEventId(stamp) : undefined;
    return { frames, id: stamp, parsed };
  }

  /** Holds or skips a delivery to a resuming stream; false lets it through. */
  #divert(
    record: ConnectionRecord,
    room: string,
    stamp: StreamEventId,
    frame: OutboundFrame,
  ): boolean {
    const resume = this.#resumes.get(record.id);
    if (!resume || resume.room !== room) return false;
    if (resume.held) {
      resume.held.push({ stamp, frame });
      return true;
    }
    if (resume.floor && !isAfter(stamp, resume.floor)) return true;
    this.#resumes.delete(record.id);
    return false;
  }

  /** The store answered an append of a local channel's delivery. */
  #recorded(ref: string, room: string, id: string | undefined, gap: boolean): void {
    if (gap) this.#gaps.delete(room);
    const pending = this.#pending.get(ref);
    if (!pending) return;
    // Its echo is on its way unless the subscription dropped since it was sent.
    if (id !== undefined && this.#store.listening && pending.deafness === this.#deafness) {
      pending.recorded = id;
      return;
    }
    this.#redeliver(ref, pending, id);
  }

  /** The append failed: the delivery goes out here without an id, and the channel has a gap. */
  #failed(ref: string, room: string): void {
    this.#gaps.add(room);
    const pending = this.#pending.get(ref);
    if (pending) this.#redeliver(ref, pending, undefined);
  }

  /** Echoes will not come: recorded deliveries still waiting for theirs are delivered now. */
  #deafened(): void {
    this.#deafness += 1;
    for (const [ref, pending] of this.#pending) {
      if (pending.recorded !== undefined) this.#redeliver(ref, pending, pending.recorded);
    }
  }

  /**
   * The subscription is back after a drop: this node's streams missed what other nodes posted
   * meanwhile. They are ended, so their clients reconnect with their last id and the replay
   * fills the hole from the shared history (or says `recovered: false`).
   */
  #resync(): void {
    const { registry } = this.#context;
    for (const room of this.#localChannels()) {
      for (const id of registry.rooms.get(room) ?? []) {
        if (registry.get(id)?.transport.kind !== "sse") continue;
        this.#send({ type: "client.close", id, code: CloseCode.NORMAL, reason: RESYNC_REASON });
      }
    }
  }

  /** Hands a pending delivery back to the supervisor as if it had come back. */
  #redeliver(ref: string, pending: Pending, stamp: string | undefined): void {
    const { event } = pending;
    this.#send({
      type: "broadcast",
      payload: event.payload,
      event: event.event,
      room: event.room,
      except: event.except,
      stamp,
      ref,
      remote: true,
    });
  }

  /** A replayed entry as a frame of the stream codec with its id, or null if it cannot be. */
  #replayFrame(entry: ReplayEntry): string | null {
    const { hooks, channels } = this.#context;
    const decoded = decodeClusterMessage(entry.message);
    if (!decoded.ok || decoded.message.kind !== "broadcast") return null;
    const encode = encoderOf(decoded.message)(channels.codec);
    return encodeText(() => channels.withId(encode(), entry.id), hooks, undefined);
  }

  #recoveryFailed(): string {
    return this.#context.channels.codec.encodeEvent("recovery", { recovered: false });
  }

  /** Rooms with a stream listener here (their histories are kept alive). */
  *#localChannels(): Iterable<string> {
    const { registry, channels } = this.#context;
    for (const room of registry.rooms.keys()) if (channels.histories.get(room)) yield room;
  }
}

/**
 * The shared channels of a supervisor, when its cluster keeps histories (Redis) and ids are the
 * counter kind; undefined otherwise (each node keeps its own history, as in one process).
 */
export function sharedChannelsFor(
  input: SupervisorInput,
  registry: ConnectionRegistry,
  writes: WriteBatch,
  send: (event: SupervisorEvent) => void,
): SharedChannels | undefined {
  const store = input.cluster?.history;
  const channels = input.channels;
  if (!store || !channels?.histories.counterIds) return undefined;
  return new SharedChannels(store, { registry, writes, hooks: input.hooks, channels }, send);
}
