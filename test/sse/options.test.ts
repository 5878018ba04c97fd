import { afterEach, describe, expect, it } from "vitest";
import { type BrokerError, type ClientHandle, createBroker } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import {
  closeEventSources,
  openEventSource,
  openStream,
  publish,
  type RawStream,
  uniqueChannel,
} from "./sse-helpers.js";

afterEach(() => closeEventSources());

type Started = Awaited<ReturnType<typeof startBroker>>;

async function listen(
  started: Started,
  channel: string,
  headers?: Record<string, string>,
): Promise<RawStream> {
  const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
  const stream = await openStream(started.port, `/events/${channel}`, headers ? { headers } : {});
  await connected;
  return stream;
}

describe('sse: { ids: "none" }', () => {
  it("writes no id lines and answers POSTs without an id", async () => {
    const started = await startBroker({ sse: { ids: "none" } });
    const channel = uniqueChannel("no-ids");
    const stream = await listen(started, channel);
    const delivery = await publish(started.port, channel, "tick", "1");
    expect(delivery).toEqual({ delivered: 1 });
    started.broker.broadcast("two", { room: channel });
    expect(await stream.take(2)).toEqual([
      { type: "tick", data: "1", lastEventId: "" },
      { type: "message", data: "two", lastEventId: "" },
    ]);
    expect(stream.text).not.toMatch(/(^|\n)id:/);
    stream.destroy();
  });

  it("replays nothing for a Last-Event-ID", async () => {
    const started = await startBroker({ sse: { ids: "none" } });
    const channel = uniqueChannel("no-ids-replay");
    const first = await listen(started, channel);
    await publish(started.port, channel, "tick", "1");
    await publish(started.port, channel, "tick", "2");
    await first.take(2);
    const resumed = await listen(started, channel, { "Last-Event-ID": "1" });
    await publish(started.port, channel, "tick", "3");
    expect(await resumed.next()).toEqual({ type: "tick", data: "3", lastEventId: "" });
    expect(resumed.events.pending).toEqual([]);
    first.destroy();
    resumed.destroy();
  });

  it("forgets a channel once its last listener leaves", async () => {
    const started = await startBroker({ sse: { ids: "none" } });
    const channel = uniqueChannel("no-ids-forget");
    const stream = await listen(started, channel);
    await publish(started.port, channel, "tick", "1");
    const gone = nextEvent<[ClientHandle]>(started.broker, "disconnect");
    stream.destroy();
    await gone;
    const response = await fetch(`http://127.0.0.1:${started.port}/events/${channel}/tick`, {
      method: "POST",
      body: "2",
    });
    expect(response.status).toBe(404);
  });
});

describe("sse: { ids: (channel, n) => id }", () => {
  const ids = (channel: string, n: number) => `${channel}-${n}`;

  it("uses the function's ids on the wire and in POST answers", async () => {
    const started = await startBroker({ sse: { ids } });
    const channel = uniqueChannel("custom-ids");
    const stream = await listen(started, channel);
    const first = await publish(started.port, channel, "tick", "1");
    const second = await publish(started.port, channel, "tick", "2");
    expect(first).toEqual({ delivered: 1, id: `${channel}-1` });
    expect(second.id).toBe(`${channel}-2`);
    expect((await stream.take(2)).map((event) => event.lastEventId)).toEqual([
      `${channel}-1`,
      `${channel}-2`,
    ]);
    expect(stream.text).toContain(`id: ${channel}-1\nevent: tick\ndata: 1\n\n`);
    stream.destroy();
  });

  it("replays by those ids", async () => {
    const started = await startBroker({ sse: { ids } });
    const channel = uniqueChannel("custom-replay");
    const first = await listen(started, channel);
    for (const n of [1, 2, 3, 4]) await publish(started.port, channel, "tick", String(n));
    await first.take(4);
    const resumed = await listen(started, channel, { "Last-Event-ID": `${channel}-2` });
    expect(await resumed.take(2)).toEqual([
      { type: "tick", data: "3", lastEventId: `${channel}-3` },
      { type: "tick", data: "4", lastEventId: `${channel}-4` },
    ]);
    await publish(started.port, channel, "tick", "5");
    expect(await resumed.next()).toEqual({ type: "tick", data: "5", lastEventId: `${channel}-5` });
    first.destroy();
    resumed.destroy();
  });

  it('starts with recovery {"recovered":false} for an id it never made', async () => {
    const started = await startBroker({ sse: { ids } });
    const channel = uniqueChannel("custom-unknown");
    const first = await listen(started, channel);
    await publish(started.port, channel, "tick", "1");
    await first.take(1);
    const resumed = await listen(started, channel, { "Last-Event-ID": `${channel}-99` });
    const recovery = await resumed.next();
    expect(recovery.type).toBe("recovery");
    expect(JSON.parse(recovery.data)).toEqual({ recovered: false });
    first.destroy();
    resumed.destroy();
  });
});

describe("sse: { ids } that fails", () => {
  const failing: ReadonlyArray<{
    readonly name: string;
    readonly ids: (channel: string, n: number) => string;
  }> = [
    {
      name: "throws",
      ids: (channel, n) => {
        if (n === 2) throw new Error("no id for you");
        return `${channel}-${n}`;
      },
    },
    { name: "returns an id with a line break", ids: (channel, n) => `${channel}\n${n}` },
  ];
  for (const { name, ids } of failing) {
    it(`reports an error and keeps the broker serving when the ids function ${name}`, async () => {
      // Not startBroker: a broker whose supervisor died never finishes close(), so this test
      // bounds its own teardown instead of hanging the shared afterEach.
      const broker = createBroker({ port: 0, host: "127.0.0.1", sse: { ids } });
      const { port } = await broker.listen();
      const started = { broker, port, url: `ws://127.0.0.1:${port}/ws` };
      const errors: BrokerError[] = [];
      broker.on("error", (_client, error) => {
        errors.push(error);
      });
      const channel = uniqueChannel("failing-ids");
      const stream = await listen(started, channel);
      try {
        const bounded = (path: string, body: string) =>
          Promise.race([
            fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", body }).then(
              (response) => response.status,
            ),
            new Promise<string>((resolve) => setTimeout(() => resolve("no answer in 2 s"), 2_000)),
          ]);
        const statuses: Array<number | string> = [
          await bounded(`/events/${channel}/tick`, "1"),
          await bounded(`/events/${channel}/tick`, "2"),
          await bounded(`/events/${channel}/tick`, "3"),
        ];
        // The failing event is refused (500) or sent; either way every POST is answered and
        // the broker keeps delivering.
        expect(statuses.map((status) => status === 202 || status === 500)).toEqual([
          true,
          true,
          true,
        ]);
        expect(errors.length).toBeGreaterThan(0);
        expect(broker.inspect().supervisor.state).toBe("running");
        started.broker.broadcast("still alive");
        const events = [];
        for (let event = await stream.next(); ; event = await stream.next()) {
          events.push(event);
          if (event.data === "still alive") break;
        }
        expect(events.at(-1)).toMatchObject({ type: "message", data: "still alive" });
      } finally {
        stream.destroy();
        await Promise.race([broker.close(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
      }
    });
  }
});

describe("sse: { ids } that fails once", () => {
  it("replays exactly the events after a failed id, without skipping one", async () => {
    const ids = (channel: string, n: number) => {
      if (n === 2 && !failedOnce) {
        failedOnce = true;
        throw new Error("transient id failure");
      }
      return `${channel}-${n}`;
    };
    let failedOnce = false;
    const broker = createBroker({ port: 0, host: "127.0.0.1", sse: { ids } });
    broker.on("error", () => {});
    const { port } = await broker.listen();
    const started = { broker, port, url: `ws://127.0.0.1:${port}/ws` };
    const channel = uniqueChannel("failing-once");
    const first = await listen(started, channel);
    const resumedStreams: RawStream[] = [];
    try {
      const answered = async (body: string) =>
        Promise.race([
          fetch(`http://127.0.0.1:${port}/events/${channel}/tick`, { method: "POST", body }).then(
            async (response) => ({ status: response.status, body: await response.json() }),
          ),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2_000)),
        ]);
      const answers = [];
      for (const body of ["a", "b", "c", "d", "e"]) answers.push(await answered(body));
      expect(answers.every((answer) => answer !== undefined)).toBe(true);
      // The events that got an id, in order (the failed one is answered 500, or 202 without id).
      const ids202 = answers.flatMap((answer) => {
        const id = (answer?.body as { id?: unknown } | undefined)?.id;
        return answer?.status === 202 && typeof id === "string" ? [id] : [];
      });
      expect(ids202).toHaveLength(4);
      // Resume from the second event that got an id: exactly the ones after it come back.
      const from = ids202[1] ?? "";
      const resumed = await listen(started, channel, { "Last-Event-ID": from });
      resumedStreams.push(resumed);
      const expected = ids202.slice(2);
      const replayed = await resumed.take(expected.length);
      expect(replayed.map((event) => event.lastEventId)).toEqual(expected);
    } finally {
      first.destroy();
      for (const stream of resumedStreams) stream.destroy();
      await Promise.race([broker.close(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    }
  });
});

describe("sse: { json: true }", () => {
  it("sends strings as JSON text", async () => {
    const started = await startBroker({ sse: { json: true } });
    const channel = uniqueChannel("json-strings");
    const connected = nextEvent<[ClientHandle]>(started.broker, "connect");
    const source = openEventSource(`http://127.0.0.1:${started.port}/events/${channel}`, {
      types: ["say"],
    });
    await source.opens.next();
    await connected;
    await publish(started.port, channel, "say", 'hi "there"\nsecond line');
    started.broker.broadcast("plain", { room: channel });
    started.broker.broadcast({ n: 1 }, { room: channel });
    const [said, plain, object] = await source.events.take(3);
    expect(said?.data).toBe('"hi \\"there\\"\\nsecond line"');
    expect(JSON.parse(said?.data ?? "")).toBe('hi "there"\nsecond line');
    expect(plain?.data).toBe('"plain"');
    expect(object?.data).toBe('{"n":1}');
  });

  it("sends strings as they are by default", async () => {
    const started = await startBroker();
    const channel = uniqueChannel("text-strings");
    const stream = await listen(started, channel);
    await publish(started.port, channel, "say", "hi");
    expect(await stream.next()).toMatchObject({ type: "say", data: "hi" });
    stream.destroy();
  });
});
