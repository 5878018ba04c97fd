import { describe, expect, it } from "vitest";
import { connectClient } from "../helpers/test-client.js";
import { freePort, runCli, startClient, startListen } from "./cli-process.js";

describe("switchboard request", () => {
  it("delivers to a client, which prints `event data`", async () => {
    const { port } = await startListen();
    const client = await startClient(["-P", String(port), "news"]);
    const posted = await runCli(["request", "-P", String(port), "news", "update", "hello"]);
    expect(posted).toEqual({ code: 0, signal: null, stdout: "delivered 1\n", stderr: "" });
    await client.waitForLine(/^update hello$/);
    expect(client.lines()).toEqual(["update hello"]);
  });

  it("counts every member of the channel, whatever its transport", async () => {
    const { port, url } = await startListen();
    await startClient(["-P", String(port), "news"]);
    await startClient(["-P", String(port), "news"]);
    const ws = await connectClient(url);
    ws.send("#join|news");
    await ws.next();
    const posted = await runCli(["request", "-P", String(port), "news", "update", "hi"]);
    expect(posted).toMatchObject({ code: 0, stdout: "delivered 3\n" });
  });

  it("sends DATA as JSON with -j, as text without", async () => {
    const { port, url } = await startListen(["--protocol", "json"]);
    const ws = await connectClient(url);
    ws.send('{"type":"join","data":"news"}');
    await ws.next();
    const client = await startClient(["-P", String(port), "news"]);
    const data = '{"a":[1,2]}';

    const asJson = await runCli(["request", "-j", "-P", String(port), "news", "update", data]);
    expect(asJson).toMatchObject({ code: 0, stdout: "delivered 2\n" });
    expect(await ws.nextJson()).toEqual({ type: "update", data: { a: [1, 2] } });
    await client.waitForLine(/^update \{"a":\[1,2\]\}$/);

    const asText = await runCli(["request", "-P", String(port), "news", "update", data]);
    expect(asText).toMatchObject({ code: 0, stdout: "delivered 2\n" });
    expect(await ws.nextJson()).toEqual({ type: "update", data });
  });

  it("posts no data when DATA is left out", async () => {
    const { port } = await startListen();
    const client = await startClient(["-P", String(port), "news"]);
    const posted = await runCli(["request", "-P", String(port), "news", "ping"]);
    expect(posted).toMatchObject({ code: 0, stdout: "delivered 1\n" });
    await client.waitForLine(/^ping $/);
  });

  it("takes data starting with a dash after --", async () => {
    const { port } = await startListen();
    const client = await startClient(["-P", String(port), "news"]);
    const posted = await runCli(["request", "-P", String(port), "news", "update", "--", "-5"]);
    expect(posted).toMatchObject({ code: 0, stdout: "delivered 1\n" });
    await client.waitForLine(/^update -5$/);
  });

  it("refuses invalid JSON with -j before sending anything, exit 2", async () => {
    // Nothing listens on this port: a request that got that far would exit 1.
    const port = await freePort();
    const result = await runCli(["request", "-j", "-P", String(port), "news", "update", "{"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^switchboard request: invalid JSON data: /);
  });

  it("exits 1 with the server's message for an unknown channel", async () => {
    const { port } = await startListen();
    const result = await runCli(["request", "-P", String(port), "nobody", "update", "hi"]);
    expect(result).toEqual({
      code: 1,
      signal: null,
      stdout: "",
      stderr: 'switchboard request: the server refused: 404 Unknown channel "nobody"\n',
    });
  });

  it("exits 1 with the server's message for an invalid action", async () => {
    const { port } = await startListen();
    await startClient(["-P", String(port), "news"]);
    const result = await runCli(["request", "-P", String(port), "news", "no spaces", "hi"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "switchboard request: the server refused: 400 Invalid action: expected [A-Za-z0-9_.:-]{1,64}\n",
    );
  });

  it("exits 1 when the server cannot be reached", async () => {
    const port = await freePort();
    const result = await runCli(["request", "-P", String(port), "news", "update", "hi"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `switchboard request: cannot reach http://127.0.0.1:${port}/events/news/update: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  });

  it("ends the channel's streams with `close`", async () => {
    const { port } = await startListen();
    const client = await startClient(["-P", String(port), "-r", "60000", "news"]);
    const closed = await runCli(["request", "-P", String(port), "news", "close"]);
    expect(closed).toMatchObject({ code: 0, stdout: "delivered 1\n" });
    await client.waitForLine(/^debug: stream ended; reconnecting in 60000 ms$/, {
      stream: "stderr",
    });
  });
});
