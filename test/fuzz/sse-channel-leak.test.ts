/**
 * Found by the soak run (heap kept growing with SSE clients in the mix, and stayed up after
 * every client had gone): a channel's replay history is created when a stream subscribes to it
 * and is only ever forgotten when someone later POSTs to or closes that very channel. A stream
 * opened on a channel name nobody uses again leaves its `ChannelHistory` behind for the life
 * of the process, so clients opening `/events/<fresh name>` grow the broker without bound.
 *
 * The history is internal; the test reads it from the supervisor's snapshot as the public
 * `inspect` option delivers it.
 */
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import type { ClientHandle } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";

/** The part of the supervisor's context this test looks at. */
interface WithHistories {
  readonly context?: {
    readonly channels?: { readonly histories: { get(channel: string): unknown } };
  };
}

describe("SSE channel histories", () => {
  it("forgets a channel's empty history once its last listener has left", async () => {
    let histories: { get(channel: string): unknown } | undefined;
    const { broker, port } = await startBroker({
      inspect: (event) => {
        if (event.type !== "@xstate.snapshot") return;
        histories ??= (event.snapshot as WithHistories).context?.channels?.histories;
      },
    });
    const channel = `abandoned-${process.pid}`;

    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const stream = request({
      port,
      host: "127.0.0.1",
      path: `/events/${channel}`,
      headers: { accept: "text/event-stream" },
      agent: false,
    });
    stream.on("error", () => {
      // Destroyed below on purpose.
    });
    stream.end();
    await connected;
    expect(histories?.get(channel)).toBeDefined();

    const disconnected = nextEvent<[ClientHandle]>(broker, "disconnect");
    stream.destroy();
    await disconnected;
    expect(broker.rooms.has(channel)).toBe(false);
    // Nothing was ever published on it: nothing to replay, nothing to keep.
    expect(histories?.get(channel)).toBeUndefined();
  });
});
