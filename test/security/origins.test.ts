import { describe, expect, it } from "vitest";
import { startBroker } from "../helpers/test-broker.js";
import { probe, upgradeStatus } from "./http-probe.js";

const APP = "https://app.example.com";
const EVIL = "https://evil.example.net";

describe("allowedOrigins", () => {
  it("refuses an upgrade from an origin not in the list with 403 and creates no actor", async () => {
    const { broker, url } = await startBroker({ allowedOrigins: [APP] });
    expect(await upgradeStatus(url, { Origin: EVIL })).toBe(403);
    expect(broker.inspect().connections).toHaveLength(0);
  });

  it("accepts an upgrade from a listed origin, and one with no Origin (not a browser)", async () => {
    const { url } = await startBroker({ allowedOrigins: [APP] });
    expect(await upgradeStatus(url, { Origin: APP })).toBe(101);
    expect(await upgradeStatus(url)).toBe(101);
  });

  it("refuses an SSE stream and an SSE post from an unlisted origin with 403", async () => {
    const { port } = await startBroker({ allowedOrigins: [APP] });
    const stream = await probe(port, "/events/news", { headers: { Origin: EVIL } });
    expect(stream.status).toBe(403);
    expect(JSON.parse(stream.body)).toMatchObject({ error: { code: "forbidden" } });
    const posted = await probe(port, "/events/news/say", {
      method: "POST",
      headers: { Origin: EVIL },
      body: "hi",
    });
    expect(posted.status).toBe(403);
    expect((await probe(port, "/events/news", { headers: { Origin: APP } })).status).toBe(200);
  });

  it("accepts any origin by default", async () => {
    const { url } = await startBroker();
    expect(await upgradeStatus(url, { Origin: EVIL })).toBe(101);
  });
});
