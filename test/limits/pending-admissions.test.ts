import { afterEach, describe, expect, it } from "vitest";
import type { Broker } from "../../src/index.js";
import { withinLimit } from "../helpers/condition.js";
import { type HeldAuthenticate, heldAuthenticate } from "../helpers/held-authenticate.js";
import { startBroker } from "../helpers/test-broker.js";
import {
  type Attempt,
  attempt,
  destroyAttempts,
  type Ports,
  serverSawClose,
  type TransportKind,
} from "./admission-attempts.js";

const helds: HeldAuthenticate[] = [];

// Runs before the broker is closed (hooks run in reverse order of registration). A failed test
// leaves calls unanswered; refusing them settles every lookup it started.
afterEach(async () => {
  for (const held of helds.splice(0)) held.refuseAll();
  await destroyAttempts();
});

interface Arena extends Ports {
  readonly broker: Broker;
  readonly held: HeldAuthenticate;
}

/** A broker whose every `authenticate` call waits for the test to answer it. */
async function arena(maxConnections: number): Promise<Arena> {
  const held = heldAuthenticate();
  helds.push(held);
  const { broker, port } = await startBroker({
    maxConnections,
    authenticate: held.authenticate,
    tcp: { port: 0 },
  });
  // Rejected calls are reported as error events; they are expected here.
  broker.on("error", () => {});
  const tcpPort = (await broker.listen()).tcp?.port;
  if (tcpPort === undefined) throw new Error("no TCP port");
  return { broker, port, tcpPort, held };
}

/** Starts an attempt and waits until the broker has called `authenticate` for it. */
async function pending(setup: Arena, kind: TransportKind) {
  const started = await attempt(kind, setup);
  const call = await setup.held.next();
  return { ...started, call };
}

/** Starts an attempt, answers its `authenticate` call with `true`, and expects it admitted. */
async function admitted(setup: Arena, kind: TransportKind): Promise<Attempt> {
  const { call, ...started } = await pending(setup, kind);
  call.answer(true);
  expect(await started.verdict).toBe("admitted");
  return started;
}

/** Expects an attempt refused on arrival as over capacity, `authenticate` never asked. */
async function expectFull(setup: Arena, kind: TransportKind): Promise<void> {
  const calls = setup.held.calls();
  const refused = await attempt(kind, setup);
  // Without the limit, an attempt let through would wait in authenticate until the test times out.
  const verdict = await withinLimit(refused.verdict, `a ${kind} refusal on arrival`);
  expect(verdict).toBe("full");
  expect(setup.held.calls()).toBe(calls);
}

/** Resolves once the broker has no client left. */
function noClients(broker: Broker): Promise<void> {
  return new Promise((resolve) => {
    if (broker.clients.size === 0) {
      resolve();
      return;
    }
    const listener = () => {
      if (broker.clients.size > 0) return;
      broker.off("disconnect", listener);
      resolve();
    };
    broker.on("disconnect", listener);
  });
}

describe("maxConnections counts admissions still inside authenticate", () => {
  describe.each(["websocket", "sse", "tcp"] as const)("%s", (kind) => {
    it("refuses a newcomer at once while maxConnections others are inside authenticate, without calling authenticate for it", async () => {
      const setup = await arena(2);
      const first = await pending(setup, kind);
      const second = await pending(setup, kind);
      await expectFull(setup, kind);
      await expectFull(setup, kind);
      // Both are still admitted once authenticate answers: the re-check does not count them twice.
      first.call.answer(true);
      second.call.answer({ user: "second" });
      expect(await first.verdict).toBe("admitted");
      expect(await second.verdict).toBe("admitted");
      expect(setup.broker.clients.size).toBe(2);
      await expectFull(setup, kind);
    });

    it("releases the slot of a pending admission refused with 401 or failed with 500", async () => {
      const setup = await arena(2);
      const refused = await pending(setup, kind);
      const failing = await pending(setup, kind);
      await expectFull(setup, kind);
      refused.call.answer(false);
      expect(await refused.verdict).toBe("unauthorized");
      // One slot is free again: a newcomer reaches authenticate, and the next is full again.
      const third = await pending(setup, kind);
      await expectFull(setup, kind);
      failing.call.fail(new Error("user store unreachable"));
      expect(await failing.verdict).toBe("internal");
      const fourth = await pending(setup, kind);
      await expectFull(setup, kind);
      third.call.answer(true);
      fourth.call.answer(true);
      expect(await third.verdict).toBe("admitted");
      expect(await fourth.verdict).toBe("admitted");
      expect(setup.broker.clients.size).toBe(2);
    });

    it("keeps the slot of a client that reset mid-authenticate until authenticate settles, then releases it", async () => {
      const setup = await arena(1);
      const quitter = await pending(setup, kind);
      await quitter.reset();
      // TCP's auth request carries no socket to watch; its slot is held either way.
      if (kind !== "tcp") await serverSawClose(quitter.call);
      // The authenticate call it started still runs, so its slot is still taken.
      await expectFull(setup, kind);
      quitter.call.answer(false);
      expect(await quitter.verdict).toBe("gone");
      await admitted(setup, kind);
      expect(setup.broker.clients.size).toBe(1);
    });
  });

  it("counts live clients and pending admissions together, across transports", async () => {
    const setup = await arena(2);
    await admitted(setup, "websocket");
    const stream = await pending(setup, "sse");
    await expectFull(setup, "tcp");
    await expectFull(setup, "websocket");
    await expectFull(setup, "sse");
    stream.call.answer(true);
    expect(await stream.verdict).toBe("admitted");
    expect(setup.broker.clients.size).toBe(2);
  });

  it("counts a TCP socket as pending from its arrival to authenticate's answer, with no gap when its auth frame arrives", async () => {
    const setup = await arena(1);
    const started = await attempt("tcp", setup);
    const call = await setup.held.next();
    await expectFull(setup, "websocket");
    call.answer(true);
    expect(await started.verdict).toBe("admitted");
    await expectFull(setup, "tcp");
  });

  it("returns to an empty count after many accept, refuse, error and reset cycles", async () => {
    const setup = await arena(2);
    const kinds = ["websocket", "sse", "tcp"] as const;
    const endings = ["accept", "refuse", "fail", "reset-refused", "reset-accepted"] as const;
    for (let cycle = 0; cycle < 15; cycle += 1) {
      const pair = [kinds[cycle % 3], kinds[(cycle + 1) % 3]] as const;
      const last = kinds[(cycle + 2) % 3] ?? "tcp";
      const admissions = [];
      for (const kind of pair) admissions.push(await pending(setup, kind ?? "tcp"));
      await expectFull(setup, last);
      for (const [index, admission] of admissions.entries()) {
        const ending = endings[(cycle + index * 2) % endings.length] ?? "accept";
        if (ending === "reset-refused" || ending === "reset-accepted") await admission.reset();
        if (ending === "fail") admission.call.fail(new Error("user store unreachable"));
        else admission.call.answer(ending === "accept" || ending === "reset-accepted");
        const verdict = await admission.verdict;
        if (verdict === "admitted") await admission.close();
      }
      // A TCP socket reset just before its answer may still be admitted if the broker has not
      // read the reset yet; that happens in promise callbacks, all run before the next I/O phase.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await noClients(setup.broker);
    }
    // Exactly zero: two newcomers reach authenticate (no slot leaked), a third is refused at
    // once (no slot released twice).
    const first = await pending(setup, "websocket");
    const second = await pending(setup, "tcp");
    await expectFull(setup, "sse");
    first.call.answer(false);
    second.call.answer(false);
    expect(await first.verdict).toBe("unauthorized");
    expect(await second.verdict).toBe("unauthorized");
  });
});
