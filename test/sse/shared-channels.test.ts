/**
 * The supervisor with a shared channel history (what `redisAdapter()` provides), driven by a
 * scripted store of the test's own so that every interleaving is chosen, not hoped for: when
 * appends are answered, when echoes come back, when a replay read completes.
 */
import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { supervisorMachine } from "../../actors/supervisor.js";
import { eventSource, withId } from "../../protocols/event-source.js";
import { separator } from "../../protocols/separator.js";
import type { AppendRequest, HistoryStore, StoredRange } from "../../src/cluster/history-store.js";
import type { ClusterLink } from "../../src/cluster/link.js";
import type { StreamEntry } from "../../src/cluster/stream-ids.js";
import { ChannelHistories } from "../../src/sse/history.js";
import {
  connectionActor,
  type FakeTransport,
  fakeTransport,
  RecordingPool,
  recordingHooks,
} from "../actors/fakes.js";

interface Deferred<T> {
  readonly request: AppendRequest | undefined;
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A `HistoryStore` whose every answer the test gives by hand. */
class ScriptedStore implements HistoryStore {
  readonly appends: Deferred<string | undefined>[] = [];
  readonly reads: Deferred<StoredRange>[] = [];
  readonly touched: string[] = [];
  listening = true;

  append(request: AppendRequest): Promise<string | undefined> {
    return new Promise((resolve, reject) => this.appends.push({ request, resolve, reject }));
  }
  read(): Promise<StoredRange> {
    return new Promise((resolve, reject) =>
      this.reads.push({ request: undefined, resolve, reject }),
    );
  }
  touch(channels: readonly string[]): void {
    this.touched.push(...channels);
  }
  keepAlive(): void {}
  onDeaf(): void {}
  onHeard(): void {}
}

/** Lets promise callbacks that are already due run (the store's answers reach the supervisor). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

const entry = (ms: number, prev: number | undefined, data: string): StreamEntry => ({
  entry: `${ms}-0`,
  prev: prev === undefined ? "" : `${prev}-0`,
  gap: false,
  message: JSON.stringify({ v: 1, node: "n", kind: "broadcast", payload: data, event: "tick" }),
});

function start() {
  const store = new ScriptedStore();
  const codec = eventSource();
  const cluster: ClusterLink = { publish: () => true, presence: () => {}, history: store };
  const hooks = recordingHooks();
  const histories = new ChannelHistories({ maxEvents: 10, maxAgeMs: 60_000 });
  const supervisor = createActor(supervisorMachine, {
    input: { hooks, cluster, channels: { histories, codec, withId } },
  }).start();
  const systems = new RecordingPool();
  /** A stream listening to `room`, as the SSE endpoint admits it. */
  const accept = (id: string, room: string, resumeFrom?: string): FakeTransport => {
    const transport: FakeTransport = { ...fakeTransport(), kind: "sse" };
    const ref = connectionActor(supervisor, systems, { id, transport, codec, hooks });
    supervisor.send({
      type: "connection.accept",
      id,
      ref,
      transport,
      codec,
      rooms: [room],
      resumeFrom,
    });
    return transport;
  };
  /** A WebSocket client (separator codec) that joins `room`. */
  const socket = (id: string, room: string): FakeTransport => {
    const transport = fakeTransport();
    const socketCodec = separator("|");
    const ref = connectionActor(supervisor, systems, { id, transport, codec: socketCodec, hooks });
    supervisor.send({ type: "connection.accept", id, ref, transport, codec: socketCodec });
    supervisor.send({ type: "room.join", id, room });
    return transport;
  };
  /** Another node's recorded delivery, as the cluster node applies it. */
  const echo = (data: string, stamp: string, ref?: string) =>
    supervisor.send({
      type: "broadcast",
      payload: data,
      event: "tick",
      room: "news",
      stamp,
      ...(ref === undefined ? {} : { ref }),
      remote: true,
    });
  /** A broadcast made on this node. */
  const post = (data: string, room = "news", report?: (report: unknown) => void) =>
    supervisor.send({ type: "broadcast", payload: data, event: "tick", room, report });
  return { store, supervisor, accept, socket, echo, post };
}

const frame = (id: string | undefined, data: string) =>
  `${id === undefined ? "" : `id: ${id}\n`}event: tick\ndata: ${data}\n\n`;

describe("a supervisor with a shared channel history", () => {
  it("holds a resuming stream's live deliveries until its replay, then skips what it replayed", async () => {
    const { store, accept, echo } = start();
    const transport = accept("c1", "news", "e:1-0");
    expect(store.touched).toEqual(["news"]);
    // Live while the replay is being read: held.
    echo("two", "e:2-0");
    expect(transport.sent()).toEqual([]);
    store.reads[0]?.resolve({
      epoch: "e",
      nowMs: 5,
      entries: [entry(1, undefined, "one"), entry(2, 1, "two"), entry(3, 2, "three")],
    });
    await settled();
    // The replay, and nothing held twice.
    expect(transport.sent()).toEqual([frame("e:2-0", "two"), frame("e:3-0", "three")]);
    // Already replayed, arriving late on the subscription: skipped. Then live again.
    echo("three", "e:3-0");
    echo("four", "e:4-0");
    echo("five", "e:5-0");
    expect(transport.sent().slice(2)).toEqual([frame("e:4-0", "four"), frame("e:5-0", "five")]);
  });

  it("sends recovery false, then everything held, when the replay cannot be read", async () => {
    const { store, accept, echo } = start();
    const transport = accept("c1", "news", "e:1-0");
    echo("two", "e:2-0");
    store.reads[0]?.reject(new Error("Redis is not connected"));
    await settled();
    expect(transport.sent()).toEqual([
      'event: recovery\ndata: {"recovered":false}\n\n',
      frame("e:2-0", "two"),
    ]);
  });

  it("delivers its own channel posts when they come back, once, answering with the id", async () => {
    const { store, supervisor, accept, echo } = start();
    const transport = accept("c1", "news");
    const reports: unknown[] = [];
    supervisor.send({
      type: "broadcast",
      payload: "hi",
      event: "tick",
      room: "news",
      report: (report) => reports.push(report),
    });
    // Recorded first: nothing is written before the id is known.
    expect(transport.sent()).toEqual([]);
    const request = store.appends[0]?.request;
    expect(request).toMatchObject({ channel: "news", create: true, gap: false });
    const ref = request?.command.ref;
    expect(ref).toEqual(expect.any(String));
    // The echo may beat the answer to the append: it delivers.
    echo("hi", "e:7-0", ref);
    store.appends[0]?.resolve("e:7-0");
    await settled();
    echo("hi", "e:7-0", ref);
    expect(transport.sent()).toEqual([frame("e:7-0", "hi")]);
    expect(reports).toEqual([{ delivered: 1, id: "e:7-0" }]);
  });

  it("delivers without an id when the store fails, and marks the gap on the next append", async () => {
    const { store, supervisor, accept } = start();
    const transport = accept("c1", "news");
    const reports: unknown[] = [];
    const post = (data: string) =>
      supervisor.send({
        type: "broadcast",
        payload: data,
        event: "tick",
        room: "news",
        report: (report) => reports.push(report),
      });
    post("lost");
    store.appends[0]?.reject(new Error("Redis is not connected"));
    await settled();
    expect(transport.sent()).toEqual([frame(undefined, "lost")]);
    expect(reports).toEqual([{ delivered: 1 }]);
    post("next");
    expect(store.appends[1]?.request).toMatchObject({ gap: true });
  });

  it("delivers at once to a room that is no channel here, reporting the id another node gave", async () => {
    const { store, supervisor } = start();
    const reports: unknown[] = [];
    supervisor.send({
      type: "broadcast",
      payload: "hi",
      event: "tick",
      room: "elsewhere",
      report: (report) => reports.push(report),
    });
    expect(store.appends[0]?.request).toMatchObject({ channel: "elsewhere", create: false });
    expect(store.appends[0]?.request?.command.ref).toBeUndefined();
    store.appends[0]?.resolve("e:9-0");
    await settled();
    expect(reports).toEqual([{ delivered: 0, id: "e:9-0" }]);
  });

  it("gives other members a channel post at once, and queues what follows it for a stream", async () => {
    const { store, supervisor, accept, socket, echo, post } = start();
    const stream = accept("s1", "news");
    const ws = socket("w1", "news");
    const reports: unknown[] = [];
    post("first", "news", (report) => reports.push(report));
    supervisor.send({ type: "client.send", id: "s1", payload: "second" });
    supervisor.send({ type: "client.send", id: "w1", payload: "second" });
    supervisor.send({ type: "broadcast", payload: "third" });
    // The WebSocket member has it all, in order, without an id; the stream waits for the id.
    expect(ws.sent()).toEqual(["#tick|first", "second", "third"]);
    expect(stream.sent()).toEqual([]);
    const ref = store.appends[0]?.request?.command.ref;
    echo("first", "e:1-0", ref);
    store.appends[0]?.resolve("e:1-0");
    await settled();
    expect(stream.sent()).toEqual([frame("e:1-0", "first"), "data: second\n\n", "data: third\n\n"]);
    expect(ws.sent()).toHaveLength(3);
    expect(reports).toEqual([{ delivered: 2, id: "e:1-0" }]);
    // Nothing waits any more: written at once.
    supervisor.send({ type: "client.send", id: "s1", payload: "fourth" });
    expect(stream.sent().at(-1)).toBe("data: fourth\n\n");
  });

  it("writes another node's channel events at once, ahead of a stream's own waiting post", async () => {
    const { store, supervisor, accept, echo, post } = start();
    const stream = accept("s1", "news");
    post("mine");
    supervisor.send({ type: "client.send", id: "s1", payload: "after" });
    // Recorded before this node's post (its echo comes first): its id is the smaller one.
    echo("theirs", "e:1-0");
    echo("mine", "e:2-0", store.appends[0]?.request?.command.ref);
    expect(stream.sent()).toEqual([
      frame("e:1-0", "theirs"),
      frame("e:2-0", "mine"),
      "data: after\n\n",
    ]);
  });

  it("keeps a stream's order when the store fails, even answering a later post first", async () => {
    const { store, supervisor, accept, socket, echo, post } = start();
    const stream = accept("s1", "news");
    const ws = socket("w1", "news");
    post("one");
    supervisor.send({ type: "client.send", id: "s1", payload: "two" });
    post("three");
    expect(ws.sent()).toEqual(["#tick|one", "#tick|three"]);
    store.appends[1]?.reject(new Error("Redis is not connected"));
    await settled();
    // "three" is ready, but "one" is still out.
    expect(stream.sent()).toEqual([]);
    store.appends[0]?.reject(new Error("Redis is not connected"));
    await settled();
    expect(stream.sent()).toEqual([
      frame(undefined, "one"),
      "data: two\n\n",
      frame(undefined, "three"),
    ]);
    // An echo after all (the failure came after the publication): not written twice.
    echo("one", "e:1-0", store.appends[0]?.request?.command.ref);
    expect(stream.sent()).toHaveLength(3);
    expect(ws.sent()).toEqual(["#tick|one", "#tick|three"]);
  });

  it("drops a closed stream's queue, and a stream that joined later has no place to wait for", async () => {
    const { store, supervisor, accept, echo, post } = start();
    const early = accept("s1", "news");
    post("one");
    const late = accept("s2", "news");
    supervisor.send({ type: "client.send", id: "s2", payload: "hello" });
    supervisor.send({ type: "connection.closed", id: "s1", code: 1000, reason: "" });
    echo("one", "e:1-0", store.appends[0]?.request?.command.ref);
    expect(early.sent()).toEqual([]);
    // Admitted after the post: not held behind it, and not sent it (its command came first).
    expect(late.sent()).toEqual(["data: hello\n\n"]);
    supervisor.send({ type: "client.send", id: "s1", payload: "gone" });
    expect(early.sent()).toEqual([]);
  });
});
