import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startBroker } from "../helpers/test-broker.js";

// Compression bombs: permessage-deflate is off, so a small compressed frame can never inflate
// into a huge one inside the broker (and there is no zlib state per connection to exhaust).
describe("permessage-deflate", () => {
  it("is refused: a client offering it gets no Sec-WebSocket-Extensions and talks uncompressed", async () => {
    const { url, broker } = await startBroker();
    broker.on("message", (client, data) => client.send(data));
    const socket = new WebSocket(url, { perMessageDeflate: true });
    const upgrade = new Promise<string | string[] | undefined>((resolve) =>
      socket.once("upgrade", (response) => resolve(response.headers["sec-websocket-extensions"])),
    );
    await new Promise((resolve) => socket.once("open", resolve));
    expect(await upgrade).toBeUndefined();
    expect(socket.extensions).toBe("");
    const echoed = new Promise<string>((resolve) =>
      socket.once("message", (data) => resolve(data.toString())),
    );
    socket.send("x".repeat(10_000));
    expect(await echoed).toHaveLength(10_000);
    socket.close();
  });
});
