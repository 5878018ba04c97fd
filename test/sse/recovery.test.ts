import { afterEach, describe, expect, it } from "vitest";
import type { ParsedEvent } from "../../protocols/event-source-parser.js";
import type { ClientHandle, DisconnectInfo } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import {
  closeEventSources,
  type Delivery,
  openEventSource,
  openStream,
  publish,
  type RawStream,
  seqOf,
  uniqueChannel,
} from "./sse-helpers.js";

afterEach(() => closeEventSources());

type Started = Awaited<ReturnType<typeof startBroker>>;

/** Opens a raw stream on `channel` (with extra headers or query) once the broker admitted it. */
async function listen(
  started: Started,
  channel: string,
  options: { headers?: Record<string, string>; query?: string } = {},
): Promise<RawStream> {
  const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
  const stream = await openStream(
    started.port,
    `/events/${channel}${options.query ?? ""}`,
    options.headers ? { headers: options.headers } : {},
  );
  await connected;
  return stream;
}

/** Hangs a stream up and waits until the broker has seen it go. */
async function hangUp(started: Started, stream: RawStream): Promise<void> {
  const gone = nextEvent<[ClientHandle, DisconnectInfo]>(started.broker, "disconnect");
  stream.destroy();
  await gone;
}

/** Posts `tick` events with data `first..last`, one after another; returns their ids. */
async function postTicks(
  started: Started,
  channel: string,
  first: number,
  last: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let n = first; n <= last; n += 1) {
    const { id } = await publish(started.port, channel, "tick", String(n));
    if (id === undefined) throw new Error("No id in the POST answer");
    ids.push(id);
  }
  return ids;
}

const dataOf = (events: readonly ParsedEvent[]) => events.map((event) => event.data);

describe("event ids", () => {
  it("increase by one per channel, as <epoch>:<n>", async () => {
    const started = await startBroker();
    const red = uniqueChannel("ids-red");
    const blue = uniqueChannel("ids-blue");
    const redStream = await listen(started, red);
    const blueStream = await listen(started, blue);
    const redIds = await postTicks(started, red, 1, 3);
    const blueIds = await postTicks(started, blue, 1, 2);
    const moreRed = await postTicks(started, red, 4, 4);

    expect([...redIds, ...moreRed].map(seqOf)).toEqual([1, 2, 3, 4]);
    expect(blueIds.map(seqOf)).toEqual([1, 2]);
    for (const id of [...redIds, ...blueIds]) expect(id).toMatch(/^[A-Za-z0-9_-]+:\d+$/);
    // The ids on the wire are the ones the POSTs answered with.
    const redEvents = await redStream.take(4);
    expect(redEvents.map((event) => event.lastEventId)).toEqual([...redIds, ...moreRed]);
    expect(redStream.text).toContain(`id: ${redIds[0]}\nevent: tick\ndata: 1\n\n`);
    expect((await blueStream.take(2)).map((event) => event.lastEventId)).toEqual(blueIds);
    redStream.destroy();
    blueStream.destroy();
  });
});

describe("replay on reconnect", () => {
  for (const via of ["Last-Event-ID header", "lastEventId query"] as const) {
    it(`replays exactly the missed events in order, then goes live (${via})`, async () => {
      const started = await startBroker();
      const channel = uniqueChannel("replay");
      const first = await listen(started, channel);
      const ids = await postTicks(started, channel, 1, 3);
      const seen = await first.take(3);
      expect(dataOf(seen)).toEqual(["1", "2", "3"]);
      const lastSeen = seen[1]?.lastEventId ?? "";
      expect(lastSeen).toBe(ids[1]);
      await hangUp(started, first);
      await postTicks(started, channel, 4, 5);

      const resumed = await listen(
        started,
        channel,
        via === "Last-Event-ID header"
          ? { headers: { "Last-Event-ID": lastSeen } }
          : { query: `?lastEventId=${encodeURIComponent(lastSeen)}` },
      );
      const replayed = await resumed.take(3);
      expect(dataOf(replayed)).toEqual(["3", "4", "5"]);
      expect(replayed.map((event) => event.type)).toEqual(["tick", "tick", "tick"]);
      expect(replayed.map((event) => seqOf(event.lastEventId))).toEqual([3, 4, 5]);

      const live = await postTicks(started, channel, 6, 6);
      const next = await resumed.next();
      expect(next).toEqual({ type: "tick", data: "6", lastEventId: live[0] });
      expect(resumed.events.pending).toEqual([]);
      expect(resumed.text).not.toContain("recovery");
      resumed.destroy();
    });
  }

  it("replays nothing for the newest id and goes live", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("replay-none-missed");
    const first = await listen(started, channel);
    const ids = await postTicks(started, channel, 1, 2);
    await first.take(2);
    const resumed = await listen(started, channel, { headers: { "Last-Event-ID": ids[1] ?? "" } });
    await postTicks(started, channel, 3, 3);
    expect(await resumed.next()).toMatchObject({ data: "3" });
    expect(resumed.text).not.toContain("recovery");
    first.destroy();
    resumed.destroy();
  });

  it("replays from the oldest kept event when the id is just before it", async () => {
    const started = await startBroker({ sse: { history: { maxEvents: 3 } } });
    const channel = uniqueChannel("replay-boundary");
    const first = await listen(started, channel);
    const ids = await postTicks(started, channel, 1, 5);
    await first.take(5);
    // Events 3, 4, 5 are kept: the client that saw 2 missed nothing that was dropped.
    const resumed = await listen(started, channel, { headers: { "Last-Event-ID": ids[1] ?? "" } });
    expect(dataOf(await resumed.take(3))).toEqual(["3", "4", "5"]);
    first.destroy();
    resumed.destroy();
  });

  const unrecoverable: ReadonlyArray<{
    readonly name: string;
    readonly id: (ids: readonly string[]) => string;
  }> = [
    {
      name: "an id of another epoch",
      id: (ids) => `otherEpoch:${seqOf(ids[0] ?? "")}`,
    },
    { name: "a garbage id", id: () => "not an id at all" },
    { name: "an id from the future", id: (ids) => (ids[0] ?? "").replace(/:\d+$/, ":999") },
    { name: "a 10 KB id", id: () => "x".repeat(10 * 1024) },
    {
      name: "a 10 KB id with a valid prefix",
      id: (ids) => `${ids[0] ?? ""}${"0".repeat(10 * 1024)}`,
    },
  ];
  for (const { name, id } of unrecoverable) {
    it(`starts with recovery {"recovered":false} and no partial replay for ${name}`, async () => {
      const started = await startBroker();
      const channel = uniqueChannel("unrecoverable");
      const first = await listen(started, channel);
      const ids = await postTicks(started, channel, 1, 3);
      await first.take(3);

      const resumed = await listen(started, channel, { headers: { "Last-Event-ID": id(ids) } });
      const recovery = await resumed.next();
      expect(recovery.type).toBe("recovery");
      expect(JSON.parse(recovery.data)).toEqual({ recovered: false });
      const live = await postTicks(started, channel, 4, 4);
      expect(await resumed.next()).toEqual({ type: "tick", data: "4", lastEventId: live[0] });
      expect(resumed.events.pending).toEqual([]);
      first.destroy();
      resumed.destroy();
    });
  }

  it("treats an empty Last-Event-ID as none: no recovery event, straight to live", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("empty-id");
    const first = await listen(started, channel);
    await postTicks(started, channel, 1, 1);
    await first.take(1);
    const resumed = await listen(started, channel, { headers: { "Last-Event-ID": "" } });
    const live = await postTicks(started, channel, 2, 2);
    expect(await resumed.next()).toEqual({ type: "tick", data: "2", lastEventId: live[0] });
  });

  it('starts with recovery {"recovered":false} for an id older than the kept history', async () => {
    const started = await startBroker({ sse: { history: { maxEvents: 3 } } });
    const channel = uniqueChannel("too-old");
    const first = await listen(started, channel);
    const ids = await postTicks(started, channel, 1, 5);
    await first.take(5);
    await hangUp(started, first);

    // Kept: 3, 4, 5. A client that saw only 1 missed 2, which is gone.
    const resumed = await listen(started, channel, { headers: { "Last-Event-ID": ids[0] ?? "" } });
    const recovery = await resumed.next();
    expect(recovery.type).toBe("recovery");
    expect(JSON.parse(recovery.data)).toEqual({ recovered: false });
    await postTicks(started, channel, 6, 6);
    expect(await resumed.next()).toMatchObject({ type: "tick", data: "6" });
    expect(resumed.events.pending).toEqual([]);
    resumed.destroy();
  });

  it("keeps a channel known through its history after its last listener left", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("history-known");
    const first = await listen(started, channel);
    await postTicks(started, channel, 1, 1);
    await first.take(1);
    await hangUp(started, first);
    const delivery = await publish(started.port, channel, "tick", "2");
    expect(delivery.delivered).toBe(0);
    expect(seqOf(delivery.id ?? "")).toBe(2);
  });

  it("neither loses nor doubles events posted while a replay is in progress", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("replay-race");
    const first = await listen(started, channel);
    await postTicks(started, channel, 1, 5);
    const seen = await first.take(5);
    const lastSeen = seen[4]?.lastEventId ?? "";
    await hangUp(started, first);
    await postTicks(started, channel, 6, 20);

    // 60 POSTs in flight while the reconnecting GET is admitted and replays 6..20: the GET
    // starts among them, so some land before its admission (replayed) and some after (live).
    const posts: Promise<Delivery>[] = [];
    let resumedPromise: Promise<RawStream> | undefined;
    for (let index = 0; index < 60; index += 1) {
      if (index === 30) {
        resumedPromise = listen(started, channel, { headers: { "Last-Event-ID": lastSeen } });
      }
      posts.push(publish(started.port, channel, "tick", `c${index}`));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const deliveries = await Promise.all(posts);
    if (!resumedPromise) throw new Error("The reconnecting GET never started");
    const resumed = await resumedPromise;

    const lastSeq = Math.max(...deliveries.map((delivery) => seqOf(delivery.id ?? "")));
    expect(lastSeq).toBe(80);
    const received: ParsedEvent[] = [];
    while (received.length === 0 || seqOf(received.at(-1)?.lastEventId ?? "") < lastSeq) {
      received.push(await resumed.next());
    }
    const seqs = received.map((event) => seqOf(event.lastEventId));
    expect(seqs).toEqual(Array.from({ length: 75 }, (_, index) => index + 6));
    // Each POSTed body arrived once, under the id its POST was answered with.
    const byId = new Map(received.map((event) => [event.lastEventId, event.data]));
    deliveries.forEach((delivery, index) => {
      expect(byId.get(delivery.id ?? "")).toBe(`c${index}`);
    });
    expect(resumed.text).not.toContain("recovery");
    resumed.destroy();
  });
});

describe("EventSource reconnection", () => {
  it("resumes without loss after the server ends its stream", async () => {
    const started = await startBroker({ sse: { retry: 50 } });
    const channel = uniqueChannel("es-resume");
    let releaseReconnect: () => void = () => {};
    const reconnectHeld = new Promise<void>((resolve) => {
      releaseReconnect = resolve;
    });
    const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
    const source = openEventSource(`http://127.0.0.1:${started.port}/events/${channel}`, {
      types: ["tick"],
      // The second request (the reconnect) waits until the test has posted the missed events.
      beforeRequest: (n) => (n === 2 ? reconnectHeld : Promise.resolve()),
    });
    await source.opens.next();
    await connected;
    await postTicks(started, channel, 1, 2);
    const before = await source.events.take(2);
    expect(before.map((event) => event.data)).toEqual(["1", "2"]);

    // `close` ends the stream; EventSource reports an error and reconnects after `retry` ms.
    const gone = nextEvent<[ClientHandle, DisconnectInfo]>(started.broker, "disconnect");
    const closed = await publish(started.port, channel, "close");
    expect(closed.delivered).toBe(1);
    await gone;
    expect(await source.errors.next()).toBe(1);
    expect(source.source.readyState).toBe(source.source.CONNECTING);

    // Posted while nobody listens: only the history has them.
    const missed = [];
    for (const n of [3, 4, 5]) missed.push(await publish(started.port, channel, "tick", String(n)));
    expect(missed.map((delivery) => delivery.delivered)).toEqual([0, 0, 0]);
    const reconnected = nextEvent<[ClientHandle]>(started.broker, "connect");
    releaseReconnect();
    expect(await source.opens.next()).toBe(2);
    await reconnected;
    expect(source.requests).toEqual([undefined, before[1]?.lastEventId]);

    await postTicks(started, channel, 6, 6);
    const after = await source.events.take(4);
    const all = [...before, ...after];
    expect(all.map((event) => event.data)).toEqual(["1", "2", "3", "4", "5", "6"]);
    expect(all.map((event) => seqOf(event.lastEventId))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(source.events.pending).toEqual([]);
  });
});
