import { describe, expect, it } from "vitest";
import { connectClient } from "../helpers/test-client.js";
import { openRawStream, post, runCli, spawnCli, startListen } from "./cli-process.js";

describe("switchboard listen", () => {
  it("prints one listening line with the port it bound, and serves both endpoints", async () => {
    const { process: listen, port, url, base } = await startListen();
    expect(port).toBeGreaterThan(0);
    expect(listen.lines()).toEqual([
      `listening on ws://127.0.0.1:${port}/ws and http://127.0.0.1:${port}/events/<channel>`,
    ]);
    const ws = await connectClient(url);
    expect(ws.protocol).toBe("");
    const stream = await openRawStream(`${base}/events/news`);
    expect(stream.status).toBe(200);
    await stream.waitFor(/^retry: 3000\n\n/);
  });

  it("lets a separator WebSocket client join a channel and get what is posted to it", async () => {
    const { url, port } = await startListen();
    const ws = await connectClient(url);
    ws.send("#join|news");
    expect(await ws.next()).toBe("#joined|news");
    const posted = await runCli(["request", "-P", String(port), "news", "update", "hello"]);
    expect(posted).toMatchObject({ code: 0, stdout: "delivered 1\n", stderr: "" });
    expect(await ws.next()).toBe("#update|hello");
    ws.send("#leave|news");
    expect(await ws.next()).toBe("#left|news");
    const after = await runCli(["request", "-P", String(port), "news", "update", "gone"]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('Unknown channel "news"');
  });

  it("speaks JSON to WebSocket clients with --protocol json", async () => {
    const { url, base } = await startListen(["--protocol", "json"]);
    const ws = await connectClient(url);
    ws.send(JSON.stringify({ type: "join", data: "news", id: 1 }));
    const answers = [await ws.nextJson(), await ws.nextJson()];
    expect(answers).toContainEqual({ type: "joined", data: "news" });
    expect(answers).toContainEqual({ type: "ack", id: 1, data: true });
    const answer = await post(`${base}/events/news/update`, '{"n":1}', "application/json");
    expect(answer.status).toBe(202);
    expect(await ws.nextJson()).toEqual({ type: "update", data: { n: 1 } });
  });

  it("sends no ids by default and per-channel ids with -i", async () => {
    const plain = await startListen();
    const withoutIds = await openRawStream(`${plain.base}/events/news`);
    await post(`${plain.base}/events/news/update`, "one");
    await withoutIds.waitFor(/event: update\ndata: one\n\n/);
    expect(withoutIds.text()).not.toMatch(/^id:/m);

    const numbered = await startListen(["-i"]);
    const withIds = await openRawStream(`${numbered.base}/events/news`);
    await post(`${numbered.base}/events/news/update`, "one");
    await post(`${numbered.base}/events/news/update`, "two");
    const second = await withIds.waitFor(/id: ([\w-]+):2\nevent: update\ndata: two\n\n/);
    expect(withIds.text()).toContain(`id: ${second[1]}:1\nevent: update\ndata: one\n\n`);
  });

  it("sends every payload as JSON text with -j", async () => {
    const { base } = await startListen(["-j"]);
    const stream = await openRawStream(`${base}/events/news`);
    await post(`${base}/events/news/update`, "hello");
    await stream.waitFor(/event: update\ndata: "hello"\n\n/);
  });

  it("writes keepalive comments every -k ms", async () => {
    const { base } = await startListen(["-k", "50"]);
    const stream = await openRawStream(`${base}/events/news`);
    await stream.waitFor(/: keepalive\n\n[\s\S]*: keepalive\n\n/);
  });

  it("logs actor transitions to stderr with -d", async () => {
    const { process: listen, url } = await startListen(["-d"]);
    await connectClient(url);
    const open = await listen.waitForLine(/^debug: connection (\S+) open\b.* <- \S+$/, {
      stream: "stderr",
    });
    expect(open[1]).toMatch(/^[\w-]{21}$/);
    await listen.waitForLine(/^debug: supervisor \S+ running <- connection\.accept$/, {
      stream: "stderr",
    });
    await listen.stop("SIGTERM");
    expect(listen.lines("stderr")).toContainEqual(
      expect.stringMatching(/^switchboard listen: SIGTERM: closing 1 client, /),
    );
    expect(
      listen.lines("stderr").some((line) => /^debug: supervisor \S+ stopped /.test(line)),
    ).toBe(true);
  });

  it("serves the inspector with --inspector and prints its URL", async () => {
    const { process: listen, url, base } = await startListen(["--inspector"]);
    await connectClient(url);
    expect(listen.lines("stdout")).toContain(`inspector on ${base}/_inspect`);
    expect((await fetch(`${base}/_inspect`)).status).toBe(200);
    const snapshot = (await (await fetch(`${base}/_inspect/snapshot`)).json()) as {
      connections: unknown[];
    };
    expect(snapshot.connections).toHaveLength(1);
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "drains on %s: WebSocket clients get 1001, streams end, exit 0",
    async (signal) => {
      const { process: listen, url, base } = await startListen();
      const ws = await connectClient(url);
      const stream = await openRawStream(`${base}/events/news`);
      const exit = await listen.stop(signal);
      expect(exit).toEqual({ code: 0, signal: null });
      expect((await ws.closed).code).toBe(1001);
      await stream.ended;
    },
  );

  it("exits 1 with the reason when the port is taken", async () => {
    const first = await startListen();
    const second = spawnCli(["listen", "-P", String(first.port)]);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(second.text()).toBe("");
    expect(second.text("stderr")).toMatch(/^switchboard listen: cannot listen: .*EADDRINUSE/);
  });
});
