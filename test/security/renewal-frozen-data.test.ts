/**
 * Review: `AuthSessions.reauthenticate` merges the renewal's answer into `client.data` with
 * `Object.assign` inside a `.then` whose promise is discarded (`void`). When `client.data` cannot
 * take the fields (the handshake's answer was a frozen object, e.g. a shared constant, or the
 * application froze it), the throw becomes an unhandled rejection: under Node's default policy
 * one client's renewal frame ends the broker process. Nothing reports it as an `error` event and
 * the client never gets an answer.
 */
import { describe, expect, it } from "vitest";
import { until } from "../cluster/redis-helpers.js";
import { trapCrashes } from "../helpers/crash-trap.js";
import { startBroker } from "../helpers/test-broker.js";
import { connectClient } from "../helpers/test-client.js";

const crashes = trapCrashes();

const GUEST = Object.freeze({ role: "guest" });

describe("renewing credentials of a client whose data is frozen", () => {
  it("answers the auth frame without an unhandled rejection", async () => {
    const { broker, url } = await startBroker({
      authenticate: (request) =>
        request.headers.authorization === "Bearer first" ? GUEST : { role: "member" },
    });
    const errors: unknown[] = [];
    broker.on("error", (_client, error) => errors.push(error));
    const ws = await connectClient(url, { headers: { authorization: "Bearer first" } });
    ws.send("#auth|second");
    await until(
      () => (crashes.length > 0 || ws.pending.length > 0 ? true : undefined),
      "an answer to the auth frame or a crash",
    );
    expect(crashes).toEqual([]);
    ws.close();
  });
});
