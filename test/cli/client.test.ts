import { describe, expect, it } from "vitest";
import { freePort, post, runCli, spawnCli, startClient, startListen } from "./cli-process.js";

const CONNECTED =
  /^debug: connected to http:\/\/127\.0\.0\.1:\d+\/events\/news(?: \(Last-Event-ID: (\S+)\))?$/;

describe("switchboard client", () => {
  it("prints each event as `event data`, multi-line data as is", async () => {
    const { port, base } = await startListen();
    const client = await startClient(["-P", String(port), "news"]);
    await post(`${base}/events/news/update`, "first\nsecond");
    await post(`${base}/events/news/chat.message`, "third");
    await client.waitForLine(/^chat\.message third$/);
    expect(client.lines()).toEqual(["update first", "second", "chat.message third"]);
  });

  it("reconnects with Last-Event-ID after its stream ends, and gets what it missed", async () => {
    const { port, base } = await startListen(["-i"]);
    const client = await startClient(["-P", String(port), "-r", "1000", "news"]);
    await post(`${base}/events/news/update`, "one");
    await client.waitForLine(/^update one$/);
    const seen = await client.waitForLine(/^debug: id (\S+)$/, { stream: "stderr" });

    const mark = client.lineCount("stderr");
    await post(`${base}/events/news/close`, "");
    await client.waitForLine(/^debug: stream ended; reconnecting in 1000 ms$/, {
      stream: "stderr",
      from: mark,
    });
    // Posted while the client waits to reconnect: nobody gets it live, the history keeps it.
    const missed = await post(`${base}/events/news/update`, "two");
    expect(JSON.parse(missed.body)).toMatchObject({ delivered: 0 });

    const reconnected = await client.waitForLine(CONNECTED, { stream: "stderr", from: mark });
    expect(reconnected[1]).toBe(seen[1]);
    await client.waitForLine(/^update two$/);
    await post(`${base}/events/news/update`, "three");
    await client.waitForLine(/^update three$/);
    expect(client.lines()).toEqual(["update one", "update two", "update three"]);
    expect(client.text("stderr")).not.toContain("warning");
  });

  it.each(["SIGTERM", "SIGKILL"] as const)(
    "resumes by itself after listen is stopped (%s) and restarted on the same port",
    async (signal) => {
      const first = await startListen(["-i"]);
      const port = String(first.port);
      const client = await startClient(["-P", port, "-r", "100", "news"]);
      expect((await runCli(["request", "-P", port, "news", "update", "before"])).stdout).toBe(
        "delivered 1\n",
      );
      await client.waitForLine(/^update before$/);

      const mark = client.lineCount("stderr");
      await first.process.stop(signal);
      // The client keeps trying while nothing listens, and says so once.
      await client.waitForLine(
        /^switchboard client: cannot reach .*ECONNREFUSED.*; retrying every 100 ms$/,
        {
          stream: "stderr",
          from: mark,
        },
      );

      await startListen(["-P", port, "-i"]);
      await client.waitForLine(CONNECTED, { stream: "stderr", from: mark });
      const posted = await runCli(["request", "-P", port, "news", "update", "after"]);
      expect(posted).toMatchObject({ code: 0, stdout: "delivered 1\n" });
      await client.waitForLine(/^update after$/);
      expect(client.lines()).toEqual(["update before", "update after"]);
      // The new broker has a new history: it says it cannot replay, and the client warns.
      await client.waitForLine(
        /^switchboard client: warning: the server could not replay the events missed since \S+; some may be lost$/,
        { stream: "stderr", from: mark },
      );
    },
  );

  it("uses the server's retry when -r is not given", async () => {
    const { port, base } = await startListen();
    const client = await startClient(["-P", String(port), "news"]);
    await post(`${base}/events/news/close`, "");
    await client.waitForLine(/^debug: stream ended; reconnecting in 3000 ms$/, {
      stream: "stderr",
    });
  });

  it("exits 1 with the server's message when the stream is refused", async () => {
    const { port } = await startListen();
    const client = spawnCli(["client", "-P", String(port), "a/b"]);
    expect(await client.exited).toEqual({ code: 1, signal: null });
    expect(client.text("stderr")).toBe(
      "switchboard client: the server refused the stream: 400 Invalid channel: expected /events/<channel>[/<action>]\n",
    );
  });

  it.each(["SIGINT", "SIGTERM"] as const)(
    "exits 0 on %s, streaming or retrying",
    async (signal) => {
      const { port } = await startListen();
      const streaming = await startClient(["-P", String(port), "news"]);
      expect(await streaming.stop(signal)).toEqual({ code: 0, signal: null });

      const retrying = spawnCli(["client", "-P", String(await freePort()), "-r", "60000", "news"]);
      await retrying.waitForLine(/cannot reach/, { stream: "stderr" });
      expect(await retrying.stop(signal)).toEqual({ code: 0, signal: null });
    },
  );
});
