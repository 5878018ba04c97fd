/**
 * Review: `open` meters every inbound frame (`rateLimit`), but the `expired` state decodes
 * frames unmetered. During its grace an expired client may therefore
 * send auth frames as fast as it likes, and each one runs the application's `authenticate`
 * (a token check, often a database or identity-provider call), and every other frame gets an
 * `auth_expired` answer: the rate limit an open client is held to does not apply.
 */
import { describe, expect, it } from "vitest";
import { withExpiry } from "../../src/index.js";
import { until } from "../cluster/redis-helpers.js";
import { startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

describe("rateLimit while credentials are expired", () => {
  it("meters auth frames, so a flood does not call authenticate once per frame", async () => {
    let renewals = 0;
    const { url } = await startBroker({
      authenticate: (request) => {
        if (request.headers.authorization === "Bearer first") {
          return withExpiry({}, Date.now() + 50);
        }
        renewals += 1;
        return false;
      },
      authGrace: 60_000,
      rateLimit: { messages: 2, perMs: 60_000, maxBreaches: 3 },
    });
    const ws = await connectClient(url, { headers: { authorization: "Bearer first" } });
    expect(await ws.next()).toMatch(/expired/i);

    const FLOOD = 30;
    for (let n = 0; n < FLOOD; n += 1) ws.send(`#auth|bad-${n}`);
    // Either the broker stops the flood (a close), or it answers every frame.
    let closed = false;
    void ws.closed.then(() => {
      closed = true;
    });
    let answers = 0;
    await until(() => {
      answers += ws.pending.splice(0).length;
      return closed || answers >= FLOOD ? true : undefined;
    }, "the flood to be stopped or answered");
    // An open client would have had 2 frames through (burst), then 3 refusals and a 1008.
    expect(renewals).toBeLessThanOrEqual(2);
    ws.close();
  });
});
