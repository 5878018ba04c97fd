import { describe, expect, it } from "vitest";
import type { InspectionEvent } from "xstate";
import { separator } from "../../protocols/separator.js";
import type { ClientHandle } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

/** Commands only the supervisor is sent, in the order it was sent them (from inspection). */
const SUPERVISOR_COMMANDS = new Set(["broadcast", "client.send", "client.emit", "client.frame"]);

function supervisorEvents() {
  const types: string[] = [];
  const inspect = (event: InspectionEvent) => {
    if (event.type === "@xstate.event" && SUPERVISOR_COMMANDS.has(event.event.type)) {
      types.push(event.event.type);
    }
  };
  return { types, inspect };
}

describe("delivery to one client", () => {
  it("keeps a whisper from a message listener after a broadcast sent before it", async () => {
    const { broker, url } = await startBroker({ protocol: separator("|") });
    broker.on("message", (client) => {
      broker.broadcast("one");
      client.send("two");
      broker.emit(client.id, "#three", ["3"]);
    });
    const client = await connectClient(url);
    client.send("go");
    expect([await client.next(), await client.next(), await client.next()]).toEqual([
      "one",
      "two",
      "#three|3",
    ]);
  });

  it("queues a whisper from a connect listener behind the broadcast sent before it", async () => {
    // The supervisor is busy admitting the client while connect listeners run: writing the
    // whisper at once would put it ahead of the broadcast still in the supervisor's mailbox.
    const { broker, url } = await startBroker({ protocol: separator("|") });
    broker.on("connect", (client) => {
      broker.broadcast("first");
      client.send("second");
      broker.emit(client.id, "#third", ["3"]);
      broker.broadcast("fourth");
    });
    const client = await connectClient(url);
    const frames = [await client.next(), await client.next(), await client.next()];
    expect([...frames, await client.next()]).toEqual(["first", "second", "#third|3", "fourth"]);
  });

  it("keeps a disconnect listener's whisper to another client behind its broadcast", async () => {
    const { broker, url } = await startBroker({ protocol: separator("|") });
    const watcherConnected = nextEvent<[ClientHandle]>(broker, "connect");
    const watcher = await connectClient(url);
    const [watcherHandle] = await watcherConnected;
    broker.on("disconnect", () => {
      broker.broadcast("gone");
      watcherHandle.send("after");
    });
    const leaverConnected = nextEvent<[ClientHandle]>(broker, "connect");
    const leaver = await connectClient(url);
    await leaverConnected;
    leaver.close();
    expect([await watcher.next(), await watcher.next()]).toEqual(["gone", "after"]);
  });

  it("shows whispers, emits and acks to an inspector as the supervisor's events", async () => {
    const events = supervisorEvents();
    const { broker, url } = await startBroker({ inspect: events.inspect });
    broker.on("ping", (client) => {
      client.send("hello");
      broker.emit(client.id, "note", 1);
      return "pong";
    });
    const client = await connectClient(url, { protocols: "switchboard.json" });
    client.send(JSON.stringify({ type: "ping", id: 7 }));
    expect(await client.nextJson()).toEqual({ type: "message", data: "hello" });
    expect(await client.nextJson()).toEqual({ type: "note", data: 1 });
    expect(await client.nextJson()).toEqual({ type: "ack", id: 7, data: "pong" });
    expect(events.types).toEqual(["client.send", "client.emit", "client.frame"]);
  });
});
