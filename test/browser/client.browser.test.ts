import { describe, expect, it } from "vitest";
import type { ClientEvent, CloseInfo } from "../../src/client/index.js";
import { type ClientHandle, type DisconnectInfo, json } from "../../src/index.js";
import { chromiumSkipReason, inPage, screenshot, useChromium } from "../helpers/browser.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";

// The few browser globals the page functions use: the project compiles without the DOM lib.
// These functions run in Chromium (sent as source text), never in Node.
declare const navigator: { readonly userAgent: string };
declare const document: { readonly body: { innerHTML: string } };
declare function requestAnimationFrame(callback: (time: number) => void): number;

/** A JSON broker with the listeners the pages talk to, and its page origin. */
async function gameBroker() {
  const started = await startBroker({ protocol: json() });
  const { broker, port } = started;
  broker.on("sum", (_client, data) => (data as number[]).reduce((total, n) => total + n, 0));
  broker.on("burst", (client, data) => {
    const count = Number(data);
    for (let n = 1; n <= count; n++) client.emit("tick", n);
    client.emit("burst-end", count);
  });
  broker.on("join", (client, data) => {
    const { room, name } = data as { room: string; name: string };
    client.data.name = name;
    client.join(room);
    return true;
  });
  broker.on("say", (client, data) => {
    const from = String(client.data.name);
    for (const room of client.rooms) {
      broker.broadcast({ type: "said", data: { from, text: String(data) } }, { room });
    }
  });
  return { ...started, origin: `http://127.0.0.1:${port}` };
}

const skip = chromiumSkipReason();

describe.skipIf(skip !== undefined)("switchboard/client in Chromium", () => {
  const chromium = useChromium();

  it("runs in the browser and resolves a request with the listener's ack value", async () => {
    const { url, origin } = await gameBroker();
    const page = await chromium.open(origin);
    const result = await inPage(
      page,
      async (sb, { url }, { within }) => {
        const client = sb.connect(url);
        const total = await within(client.request("sum", [1, 2, 39]), "the ack");
        const state = client.state;
        await client.close();
        return {
          total,
          state,
          protocol: client.protocol,
          userAgent: navigator.userAgent,
          node: "process" in globalThis,
        };
      },
      { url },
    );
    expect(result).toEqual({
      total: 42,
      state: "open",
      protocol: "json",
      userAgent: expect.stringContaining("HeadlessChrome/"),
      node: false,
    });
  });

  it("delivers a broadcast from the server to an `on` listener", async () => {
    const { broker, url, origin } = await gameBroker();
    const page = await chromium.open(origin);
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    // The listener is added right after connect(), before the socket can open.
    const received = inPage(
      page,
      async (sb, { url }, { within }) => {
        const client = sb.connect(url);
        const news = new Promise((resolve) => client.on("news", resolve));
        return within(news, "the news broadcast");
      },
      { url },
    );
    await connected;
    broker.broadcast({ type: "news", data: { headline: "hello, browser", n: 1 } });
    expect(await received).toEqual({ headline: "hello, browser", n: 1 });
  });

  it("returns received events from pump() in a requestAnimationFrame loop", async () => {
    const { url, origin } = await gameBroker();
    const page = await chromium.open(origin);
    const result = await inPage(
      page,
      async (sb, { url }, { within }) => {
        const client = sb.connect(url);
        await within(client.ready(), "the connection");
        client.send("burst", 3);
        const pumped: ClientEvent[] = [];
        let frames = 0;
        // A game loop: once per frame, everything received since the previous one.
        const done = new Promise<void>((resolve) => {
          const frame = () => {
            frames += 1;
            pumped.push(...client.pump());
            if (pumped.some((event) => event.type === "burst-end")) resolve();
            else requestAnimationFrame(frame);
          };
          requestAnimationFrame(frame);
        });
        await within(done, "burst-end from pump()");
        return { pumped, frames, after: client.pump() };
      },
      { url },
    );
    expect(result.pumped).toEqual([
      { type: "tick", data: 1 },
      { type: "tick", data: 2 },
      { type: "tick", data: 3 },
      { type: "burst-end", data: 3 },
    ]);
    expect(result.frames).toBeGreaterThanOrEqual(1);
    expect(result.after).toEqual([]);
  });

  it("lets two pages in one room see each other's messages", async () => {
    const { broker, url, origin } = await gameBroker();
    const pages = [await chromium.open(origin), await chromium.open(origin)] as const;
    const names = ["alice", "bob"] as const;

    // Both join first (the ack comes once the listener has run), so neither can miss a message.
    const joined = await Promise.all(
      pages.map((page, index) =>
        inPage(
          page,
          async (sb, { url, name }, { within }) => {
            const client = sb.connect(url);
            const said: unknown[] = [];
            client.on("said", (data) => said.push(data));
            Object.assign(globalThis, { game: { client, said } });
            return within(client.request("join", { room: "table", name }), "the join ack");
          },
          { url, name: names[index] ?? "" },
        ),
      ),
    );
    expect(joined).toEqual([true, true]);
    expect(broker.rooms.get("table")?.size).toBe(2);

    const seen = await Promise.all(
      pages.map((page, index) =>
        inPage(
          page,
          async (_sb, { name, other }, { within }) => {
            type Said = { from: string; text: string };
            const { client, said } = Reflect.get(globalThis, "game") as {
              client: { send(type: string, data: unknown): boolean };
              said: Said[];
            };
            client.send("say", `hello from ${name}`);
            // The room's broadcast reaches the sender too: wait for both messages.
            const heard = new Promise<void>((resolve) => {
              const check = () => {
                const from = new Set(said.map((message) => message.from));
                if (from.has(name) && from.has(other)) resolve();
                else requestAnimationFrame(check);
              };
              check();
            });
            await within(heard, `the messages of ${name} and ${other}`);
            const items = said.map((message) => `<li><b>${message.from}</b>: ${message.text}</li>`);
            document.body.innerHTML = `<h1>${name} in room "table"</h1><ul>${items.join("")}</ul>`;
            return said.map((message) => `${message.from}: ${message.text}`).sort();
          },
          { name: names[index] ?? "", other: names[1 - index] ?? "" },
        ),
      ),
    );
    const both = ["alice: hello from alice", "bob: hello from bob"];
    expect(seen).toEqual([both, both]);
    await screenshot(pages[0], "browser-room");
  });

  it("fires the broker's disconnect when the page calls close()", async () => {
    const { broker, origin } = await gameBroker();
    const page = await chromium.open(origin);
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    const disconnected = nextEvent<[ClientHandle, DisconnectInfo]>(broker, "disconnect");
    const closed = await inPage(
      page,
      // A relative URL: resolved against the page's origin, which is the broker's.
      async (sb, _arg, { within }) => {
        const client = sb.connect("/ws");
        await within(client.ready(), "the connection");
        const close = new Promise<CloseInfo>((resolve) => client.on("close", resolve));
        await within(client.close(), "close()");
        return { close: await close, state: client.state };
      },
      null,
    );
    const [[handle], [gone, info]] = await Promise.all([connected, disconnected]);
    expect(gone.id).toBe(handle.id);
    expect(info.code).toBe(1000);
    expect(closed).toEqual({ close: { code: 1000, reason: "" }, state: "closed" });
    expect(broker.clients.has(handle.id)).toBe(false);
  });
});
