import { afterEach, describe, expect, it } from "vitest";
import { connectClient } from "../helpers/test-client.js";
import { type RunningExample, startExample } from "./run-example.js";

let running: RunningExample | undefined;
afterEach(async () => {
  await running?.stop("SIGTERM");
  running = undefined;
});

describe("npm start", () => {
  it("runs the rooms chat with the inspector on and prints both URLs", async () => {
    running = await startExample("rooms-chat", "npm-start");
    const base = running.url.replace(/^ws:/, "http:").replace(/\/ws$/, "");
    expect(await running.line(/^chat on /)).toBe(`chat on ${base}/`);
    expect(await running.line(/^inspector on /)).toBe(`inspector on ${base}/_inspect`);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<label");
    expect((await fetch(`${base}/_inspect`)).status).toBe(200);
    const client = await connectClient(`${running.url}?protocol=json`);
    client.send(JSON.stringify({ type: "hello", data: { name: "newcomer" }, id: 1 }));
    expect(await client.nextJson()).toMatchObject({ type: "ack", id: 1 });
  });
});
