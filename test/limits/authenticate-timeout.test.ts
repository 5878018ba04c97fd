import { afterEach, describe, expect, it } from "vitest";
import type { BrokerError } from "../../src/index.js";
import { heldAuthenticate } from "../helpers/held-authenticate.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { attempt, destroyAttempts, type TransportKind } from "./admission-attempts.js";

afterEach(destroyAttempts);

/** Short enough for a test, long enough that the attempt is surely inside `authenticate`. */
const AUTH_TIMEOUT_MS = 150;

describe("an authenticate that never answers", () => {
  for (const kind of ["websocket", "sse", "tcp"] as const satisfies readonly TransportKind[]) {
    it(`fails a ${kind} attempt after authTimeout, reports it, and frees its slot`, async () => {
      const held = heldAuthenticate();
      const { broker, port } = await startBroker({
        authenticate: held.authenticate,
        authTimeout: AUTH_TIMEOUT_MS,
        maxConnections: 1,
        tcp: { port: 0 },
      });
      const tcpPort = (await broker.listen()).tcp?.port ?? 0;
      const reported = nextEvent<[unknown, BrokerError]>(broker, "error");

      const stuck = await attempt(kind, { port, tcpPort });
      await held.next(); // never answered
      expect(await stuck.verdict).toBe("internal");
      const [, error] = await reported;
      expect(error.message).toMatch(/authenticate/);
      expect(String(error.cause)).toMatch(/did not answer within 150 ms/);

      // The one slot is free again: the next attempt reaches authenticate and is admitted.
      const next = await attempt(kind, { port, tcpPort });
      (await held.next()).answer(true);
      expect(await next.verdict).toBe("admitted");
    });
  }
});
