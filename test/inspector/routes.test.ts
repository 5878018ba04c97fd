import { request as httpRequest } from "node:http";
import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import { connectionMachine } from "../../actors/connection.js";
import { supervisorMachine } from "../../actors/supervisor.js";
import { machineGraphs } from "../../src/inspector/graph.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";
import { openStream } from "../sse/sse-helpers.js";
import { get } from "./inspector-helpers.js";

const PROTECTED = ["/_inspect", "/_inspect/", "/_inspect/snapshot", "/_inspect/machines"];
/** Not a network address: the namespace `createElementNS` needs for SVG. */
const SVG_NAMESPACE = "http://www.w3.org/2000/svg";

describe("inspector routes", () => {
  it("without a token, refuses requests addressed by name (DNS rebinding) and serves IP and localhost", async () => {
    const { port } = await startBroker({ inspector: true });
    const statusFor = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          { port, host: "127.0.0.1", path: "/_inspect/snapshot", headers: { host } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on("error", reject);
        request.end();
      });
    expect(await statusFor(`attacker.example:${port}`)).toBe(403);
    expect(await statusFor("rebind.attacker.example")).toBe(403);
    expect(await statusFor(`127.0.0.1:${port}`)).toBe(200);
    expect(await statusFor(`localhost:${port}`)).toBe(200);
    expect(await statusFor(`[::1]:${port}`)).toBe(200);
    // With a token, the token is the guard and any name may be used.
    const guarded = await startBroker({ inspector: { token: "t0k3n" } });
    const byName = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          port: guarded.port,
          host: "127.0.0.1",
          path: "/_inspect/snapshot",
          headers: { host: "broker.internal", authorization: "Bearer t0k3n" },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on("error", reject);
      request.end();
    });
    expect(byName).toBe(200);
  });

  it("is off by default: /_inspect and its parts are 404", async () => {
    const { port } = await startBroker();
    for (const path of [...PROTECTED, "/_inspect/feed", "/_inspect/app.js"]) {
      expect((await get(port, path)).status, path).toBe(404);
    }
  });

  it("serves the page with its assets from the broker only (no CDN)", async () => {
    const { port } = await startBroker({ inspector: true });
    const page = await get(port, "/_inspect");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.text).not.toMatch(/https?:\/\//);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const references = [...page.text.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(references.sort()).toEqual(["/_inspect/app.js", "/_inspect/style.css", "data:,"]);
    expect(page.text).toContain('aria-label="Connections"');

    const app = await get(port, "/_inspect/app.js");
    expect(app.status).toBe(200);
    expect(app.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(() => new Script(app.text)).not.toThrow();
    expect(app.text.replaceAll(SVG_NAMESPACE, "")).not.toMatch(/https?:\/\/|\bimport\b/);
    const style = await get(port, "/_inspect/style.css");
    expect(style.status).toBe(200);
    expect(style.headers.get("content-type")).toMatch(/^text\/css/);
    expect(style.text).not.toMatch(/url\(|@import|https?:\/\//);
  });

  it("answers HEAD without a body and refuses other methods", async () => {
    const { port } = await startBroker({ inspector: true });
    const head = await get(port, "/_inspect", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    const post = await get(port, "/_inspect/snapshot", {}, "POST");
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const missing = await get(port, "/_inspect/nothing");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({ error: { code: "not_found" } });
  });

  it("returns broker.inspect() at /_inspect/snapshot", async () => {
    const { broker, url, port } = await startBroker({ inspector: true });
    const connected = nextEvent(broker, "connect");
    const client = await connectClient(url);
    await connected;
    const jsonConnected = nextEvent<[{ id: string }]>(broker, "connect");
    const json = await connectClient(`${url}?protocol=json`);
    const [handle] = await jsonConnected;
    broker.join(handle.id, "lobby");
    broker.setInterval(() => {}, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const answer = await get(port, "/_inspect/snapshot");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    const snapshot = JSON.parse(answer.text);
    expect(snapshot).toEqual(broker.inspect());
    expect(snapshot.connections).toHaveLength(2);
    expect(snapshot.supervisor.rooms).toEqual({ lobby: [handle.id] });
    expect(snapshot.supervisor.timers).toHaveLength(1);
    client.close();
    json.close();
  });

  it("serves the machine graphs at /_inspect/machines", async () => {
    const { port } = await startBroker({ inspector: true });
    const answer = await get(port, "/_inspect/machines");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual(
      JSON.parse(
        JSON.stringify(
          machineGraphs({ connection: connectionMachine, supervisor: supervisorMachine }),
        ),
      ),
    );
  });

  describe("with a token", () => {
    const token = "s3cret";

    it("answers 401 without the token, or with a wrong one", async () => {
      const { port } = await startBroker({ inspector: { token } });
      for (const path of [...PROTECTED, "/_inspect/feed"]) {
        const attempts: Record<string, string>[] = [
          {},
          { Authorization: "Bearer wrong" },
          { Authorization: token },
        ];
        for (const headers of attempts) {
          const answer = await get(port, path, headers);
          expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
          expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
          expect(JSON.parse(answer.text)).toMatchObject({ error: { code: "unauthorized" } });
          expect(answer.text).not.toContain(token);
        }
        expect((await get(port, `${path}?token=wrong`)).status).toBe(401);
      }
    });

    it("answers 200 with the token in the Authorization header or the query", async () => {
      const { broker, port } = await startBroker({ inspector: { token } });
      for (const path of PROTECTED) {
        const byHeader = await get(port, path, { Authorization: `Bearer ${token}` });
        expect(byHeader.status, path).toBe(200);
        const byQuery = await get(port, `${path}?token=${token}`);
        expect(byQuery.status, path).toBe(200);
        expect(byQuery.text).toBe(byHeader.text);
      }
      const snapshot = await get(port, `/_inspect/snapshot?token=${token}`);
      expect(JSON.parse(snapshot.text)).toEqual(broker.inspect());
      const feeds: { path: string; headers: Record<string, string> }[] = [
        { path: `/_inspect/feed?token=${token}`, headers: {} },
        { path: "/_inspect/feed", headers: { Authorization: `Bearer ${token}` } },
      ];
      for (const options of feeds) {
        const feed = await openStream(port, options.path, { headers: options.headers });
        expect(feed.status).toBe(200);
        expect(feed.headers["content-type"]).toMatch(/^text\/event-stream/);
        expect((await feed.next()).type).toBe("hello");
        feed.destroy();
      }
    });

    it("serves the static assets, which hold no broker data, without it", async () => {
      const { port } = await startBroker({ inspector: { token } });
      expect((await get(port, "/_inspect/app.js")).status).toBe(200);
      expect((await get(port, "/_inspect/style.css")).status).toBe(200);
    });
  });
});
