import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type ClientHandle, json } from "../../src/index.js";
import { startBroker } from "../helpers/test-broker.js";

const run = promisify(execFile);
const fixture = fileURLToPath(new URL("./fixtures/global-websocket-client.ts", import.meta.url));
const tokenFixture = fileURLToPath(
  new URL("./fixtures/token-global-websocket-client.ts", import.meta.url),
);

describe("client on the platform WebSocket", () => {
  it("uses the global WHATWG WebSocket when there is one (browsers, Node 22)", async () => {
    const { broker, url } = await startBroker({ protocol: json() });
    broker.on("sum", (_client, data) => (data as number[]).reduce((a, b) => a + b, 0));
    broker.on("ready", (client: ClientHandle) => broker.emit(client.id, "news", { n: 1 }));
    const { stdout } = await run(
      process.execPath,
      ["--experimental-websocket", "--no-warnings", "--import", "tsx", fixture, url],
      { timeout: 15_000 },
    );
    expect(JSON.parse(stdout)).toEqual({
      constructed: 1,
      sum: 42,
      pushed: { n: 1 },
      state: "closed",
    });
  });

  it("uses ws instead when there is a token: the platform WebSocket cannot send the header", async () => {
    const { broker, url } = await startBroker({
      protocol: json(),
      authenticate: (request) =>
        request.headers.authorization === "Bearer node-22-token" ? { user: "node22" } : false,
    });
    broker.on("whoami", (client) => (client.data as { user: string }).user);
    const { stdout } = await run(
      process.execPath,
      ["--experimental-websocket", "--no-warnings", "--import", "tsx", tokenFixture, url],
      { timeout: 15_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ constructed: 0, user: "node22", state: "closed" });
  });
});
