import { describe, expect, it } from "vitest";
import { openRawStream, type Spawned, spawnCli, spawnNode } from "../cli/cli-process.js";
import { connectClient } from "../helpers/test-client.js";

const LISTENING = /^listening on (ws:\/\/127\.0\.0\.1:(\d+)\/ws)$/;
const TICK = /^tick (\{.*\})$/;

interface Tick {
  readonly n: number;
  readonly at: string;
}

/** Runs the example as `npx tsx examples/sse-ticker/server.ts` would, ticking every 50 ms. */
async function startTicker(): Promise<{ ticker: Spawned; url: string; port: number }> {
  const ticker = spawnNode(
    "examples/sse-ticker",
    ["--import", "tsx", "examples/sse-ticker/server.ts"],
    {
      PORT: "0",
      TICK_MS: "50",
    },
  );
  const match = await ticker.waitForLine(LISTENING, { timeoutMs: 15_000 });
  return { ticker, url: match[1] ?? "", port: Number(match[2]) };
}

describe("examples/sse-ticker", () => {
  it("prints its listening line once, with the port it bound", async () => {
    const { ticker, port, url } = await startTicker();
    expect(port).toBeGreaterThan(0);
    await connectClient(url);
    expect(ticker.text()).toBe(`listening on ${url}\n`);
  });

  it("ticks to `switchboard client ticker`, one line per tick, n counting up", async () => {
    const { port } = await startTicker();
    const client = spawnCli(["client", "-P", String(port), "ticker"]);
    for (let count = 1; count <= 3; count += 1) {
      await client.waitForLine(TICK, { from: count - 1 });
    }
    const ticks = client
      .lines()
      .slice(0, 3)
      .map((line) => JSON.parse(TICK.exec(line)?.[1] ?? "null") as Tick);
    const [first] = ticks;
    expect(ticks.map((tick) => tick.n)).toEqual([0, 1, 2].map((step) => (first?.n ?? 0) + step));
    for (const tick of ticks) expect(new Date(tick.at).toISOString()).toBe(tick.at);
  });

  it("streams `event: tick` with ids, and replays the ticks after a Last-Event-ID", async () => {
    const { port } = await startTicker();
    const url = `http://127.0.0.1:${port}/events/ticker`;
    const stream = await openRawStream(url);
    const [, epoch] = await stream.waitFor(
      /id: ([\w-]+):3\nevent: tick\ndata: \{"n":\d+,"at":"[^"]+"\}\n\n/,
    );
    stream.close();
    const resumed = await openRawStream(url, { "Last-Event-ID": `${epoch}:1` });
    await resumed.waitFor(/id: [\w-]+:3\n/);
    const ids = [...resumed.text().matchAll(/^id: ([\w-]+:\d+)$/gm)].map((match) => match[1]);
    expect(ids.slice(0, 2)).toEqual([`${epoch}:2`, `${epoch}:3`]);
  });

  it("ticks to WebSocket clients too, as JSON text", async () => {
    const { url } = await startTicker();
    const ws = await connectClient(url);
    const tick = await ws.nextJson<{ type: string; data: Tick }>();
    expect(tick.type).toBe("tick");
    expect(tick.data.n).toBeGreaterThan(0);
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "closes its clients with 1001, ends streams and exits 0 on %s",
    async (signal) => {
      const { ticker, url, port } = await startTicker();
      const ws = await connectClient(url);
      const stream = await openRawStream(`http://127.0.0.1:${port}/events/ticker`);
      expect(await ticker.stop(signal)).toEqual({ code: 0, signal: null });
      expect((await ws.closed).code).toBe(1001);
      await stream.ended;
    },
  );
});
