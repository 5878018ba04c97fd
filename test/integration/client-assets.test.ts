import { describe, expect, it } from "vitest";
import { startBroker } from "../helpers/test-broker.js";

// The compiled client is served from dist/: `npm test` builds it before vitest runs.
describe("the browser client build at /_switchboard/", () => {
  it("serves an ES module entry that re-exports the compiled client", async () => {
    const { port } = await startBroker();
    const response = await fetch(`http://127.0.0.1:${port}/_switchboard/client.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await response.text()).toContain('export * from "./src/client/index.js"');
    const entry = await fetch(`http://127.0.0.1:${port}/_switchboard/src/client/index.js`);
    expect(entry.status).toBe(200);
    expect(await entry.text()).toMatch(/export/);
  });

  it("serves the pure codecs the client imports", async () => {
    const { port } = await startBroker();
    const response = await fetch(`http://127.0.0.1:${port}/_switchboard/protocols/json.js`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("export function json");
  });

  it.each([
    "/_switchboard/src/client/../../../package.json",
    "/_switchboard/%2e%2e/%2e%2e/package.json",
    "/_switchboard/src/client/..%2f..%2fpackage.json",
    "/_switchboard/src/client/index.ts",
    "/_switchboard/src/broker.js",
  ])("answers 404 to %s and serves nothing outside the client's folders", async (path) => {
    const { port } = await startBroker();
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('"name": "switchboard"');
  });

  it("refuses other methods with 405", async () => {
    const { port } = await startBroker();
    const response = await fetch(`http://127.0.0.1:${port}/_switchboard/client.js`, {
      method: "POST",
    });
    expect(response.status).toBe(405);
  });
});
