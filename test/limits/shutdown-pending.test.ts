import { afterEach, describe, expect, it } from "vitest";
import { withinLimit } from "../helpers/condition.js";
import { heldAuthenticate } from "../helpers/held-authenticate.js";
import { startBroker } from "../helpers/test-broker.js";
import { attempt, destroyAttempts } from "./admission-attempts.js";

afterEach(destroyAttempts);

describe("close() with a WebSocket upgrade still inside authenticate", () => {
  it("answers it 503 and resolves without waiting for authenticate", async () => {
    const held = heldAuthenticate();
    const { broker, port } = await startBroker({ authenticate: held.authenticate });
    let connects = 0;
    broker.on("connect", () => {
      connects += 1;
    });
    const upgrade = await attempt("websocket", { port, tcpPort: 0 });
    const call = await held.next();

    // Before the fix, close() waited for this socket for as long as authenticate took.
    await withinLimit(broker.close(), "close()");
    expect(await upgrade.verdict).toBe("full");

    // The lookup answering afterwards admits nobody and breaks nothing.
    call.answer(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(connects).toBe(0);
    expect(broker.clients.size).toBe(0);
  });
});
