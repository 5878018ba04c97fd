import { describe, expect, it } from "vitest";
import type { AuthorizeAction, ClientHandle } from "../../src/index.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";
import { probe } from "./http-probe.js";

describe("authorize", () => {
  it("refuses SSE subscriptions and posts it answers false with 403", async () => {
    const asked: AuthorizeAction[] = [];
    const { broker, port } = await startBroker({
      authorize: (_caller, action) => {
        asked.push(action);
        return action.type === "join" ? action.room === "public" : action.action === "say";
      },
    });
    const stream = await probe(port, "/events/secret");
    expect(stream.status).toBe(403);
    expect(JSON.parse(stream.body)).toMatchObject({ error: { code: "forbidden" } });
    expect(broker.inspect().connections).toHaveLength(0);
    const post = (action: string) =>
      probe(port, `/events/secret/${action}`, { method: "POST", body: "x" });
    expect((await post("delete")).status).toBe(403);
    expect((await post("say")).status).toBe(404);
    expect((await probe(port, "/events/public")).status).toBe(200);
    expect(asked).toContainEqual({ type: "join", room: "secret" });
    expect(asked).toContainEqual({ type: "post", channel: "secret", action: "delete" });
  });

  it("sees what authenticate answered", async () => {
    const { port } = await startBroker({
      authenticate: (request) => ({ role: request.headers["x-role"] ?? "guest" }),
      authorize: async ({ data }) => (data as { role: string }).role === "admin",
    });
    expect((await probe(port, "/events/ops", { headers: { "X-Role": "guest" } })).status).toBe(403);
    expect((await probe(port, "/events/ops", { headers: { "X-Role": "admin" } })).status).toBe(200);
  });

  it("is not asked about joins made by server code", async () => {
    let asked = 0;
    const { broker, url } = await startBroker({
      authorize: () => {
        asked += 1;
        return false;
      },
    });
    const connected = nextEvent<[ClientHandle]>(broker, "connect");
    await connectClient(url);
    const [client] = await connected;
    expect(client.join("anything")).toBe(true);
    expect(broker.join(client.id, "else")).toBe(true);
    expect([...client.rooms].sort()).toEqual(["anything", "else"]);
    expect(asked).toBe(0);
  });
});
