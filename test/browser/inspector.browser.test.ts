/**
 * The live inspector (`/_inspect`) in Chromium, against a broker in this process with real
 * WebSocket clients. Everything is read through the page's DOM hooks (the table labelled
 * "Connections", `#count-*`, `svg[data-machine] g[data-state-path]`, `#event-log li[data-…]`),
 * and every wait is a Playwright locator waiting for the page to show something (or a polled
 * count with a deadline): no sleeps.
 *
 * `DOCS_SCREENSHOTS=1` also writes the overview screenshot to docs/inspector.png.
 */
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { type Broker, type BrokerOptions, type ClientHandle, json } from "../../src/index.js";
import { chromiumSkipReason, screenshot, useChromium } from "../helpers/browser.js";
import { nextEvent, startBroker } from "../helpers/test-broker.js";
import { connectClient, type TestClient } from "../helpers/test-client.js";

/** How long the page may take to show what a test waits for. */
const SHOWN_MS = 5_000;
const VIEWPORT = { width: 1400, height: 1000 } as const;
const RESULTS = fileURLToPath(new URL("../../test-results/", import.meta.url));
const DOCS_IMAGE = fileURLToPath(new URL("../../docs/inspector.png", import.meta.url));

/** Saves the whole page (the log is below the fold at 1000 px) under test-results/. */
async function fullScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS, { recursive: true });
  const path = `${RESULTS}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A count retried until it holds or SHOWN_MS pass. */
const countOf = (locator: Locator) => expect.poll(() => locator.count(), { timeout: SHOWN_MS });

/** Waits until the locator matches a visible element. */
async function shows(locator: Locator): Promise<void> {
  await locator.waitFor({ state: "visible", timeout: SHOWN_MS });
}

/** Waits until the locator matches an element at all (SVG groups, hidden rows). */
async function present(locator: Locator): Promise<void> {
  await locator.waitFor({ state: "attached", timeout: SHOWN_MS });
}

/** Waits until the locator matches nothing. */
async function detached(locator: Locator): Promise<void> {
  await locator.waitFor({ state: "detached", timeout: SHOWN_MS });
}

/** The locator's elements whose whole text is `text`. */
function withText(locator: Locator, text: string): Locator {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return locator.filter({ hasText: new RegExp(`^${escaped}$`) });
}

/** A JSON broker with the inspector on that puts every client in "lobby". */
async function inspectedBroker(inspector: BrokerOptions["inspector"]) {
  const started = await startBroker({ inspector, protocol: json() });
  started.broker.on("connect", (client) => client.join("lobby"));
  started.broker.on("note", () => "noted");
  return { ...started, origin: `http://127.0.0.1:${started.port}` };
}

/** Connects a WebSocket client and resolves once the broker's connect listeners ran for it. */
async function connectTo(broker: Broker, url: string): Promise<{ client: TestClient; id: string }> {
  const connected = nextEvent<[ClientHandle]>(broker, "connect");
  const client = await connectClient(url);
  const [handle] = await connected;
  return { client, id: handle.id };
}

/** Opens the inspector at `path` (on the broker's origin) in a 1400×1000 page. */
async function openInspector(page: Page, origin: string, path = "/_inspect"): Promise<Page> {
  await page.setViewportSize(VIEWPORT);
  const response = await page.goto(new URL(path, origin).href);
  expect(response?.status()).toBe(200);
  await shows(page.locator('#feed-status[data-status="live"]'));
  return page;
}

/** The page's locators, by the hooks the inspector documents. */
function inspectorView(page: Page) {
  const table = page.getByRole("table", { name: "Connections" });
  const log = page.locator("#event-log");
  return {
    count: (name: "connections" | "rooms" | "timers", value: number) =>
      withText(page.locator(`#count-${name}`), String(value)),
    row: (id: string) => table.locator(`tr[data-connection-id="${id}"]`),
    state: (id: string, state: string) =>
      withText(table.locator(`tr[data-connection-id="${id}"] td[data-cell="state"]`), state),
    lit: (machine: string, path: string) =>
      page.locator(
        `svg[data-machine="${machine}"] g[data-state-path="${path}"].active[aria-current="true"]`,
      ),
    records: (type?: string) => log.locator(type ? `li[data-type="${type}"]` : "li"),
    log,
  };
}

const skip = chromiumSkipReason();

describe.skipIf(skip !== undefined)("the inspector page in Chromium", () => {
  const chromium = useChromium();

  it("shows connections, rooms, timers, lit diagrams and a filterable, pausable log", async () => {
    const { broker, url, origin } = await inspectedBroker(true);
    const alice = await connectTo(broker, url);
    const bob = await connectTo(broker, url);
    const timer = broker.setInterval(() => {}, 60_000);

    const page = await openInspector(await chromium.open(origin), origin);
    const view = inspectorView(page);

    // Both connections, open and alive, in the table; the counts and the supervisor agree.
    await shows(view.state(alice.id, "open.alive"));
    await shows(view.state(bob.id, "open.alive"));
    await shows(view.count("connections", 2));
    await shows(view.count("rooms", 1));
    await shows(view.count("timers", 1));
    await shows(withText(page.locator("#supervisor-state"), "running"));
    await shows(
      page
        .locator('li[data-room="lobby"]')
        .filter({ hasText: alice.id })
        .filter({ hasText: bob.id }),
    );
    await shows(page.locator(`li[data-timer-id="${timer}"]`).filter({ hasText: "interval" }));
    await shows(page.locator("#select-supervisor[aria-pressed='true']"));
    await present(view.lit("supervisor", "running"));

    // A message each, so the log has traffic to show beside the lifecycle records.
    alice.client.send(JSON.stringify({ type: "note", data: "hello", id: 1 }));
    bob.client.send(JSON.stringify({ type: "note", data: "hi", id: 1 }));
    await Promise.all([alice.client.next(), bob.client.next()]);

    // Selecting a row lights the connection diagram in the row's state.
    await view.row(alice.id).click();
    await shows(view.row(alice.id).and(page.locator('[aria-selected="true"]')));
    await shows(view.row(bob.id).and(page.locator('[aria-selected="false"]')));
    await shows(page.locator("#select-supervisor[aria-pressed='false']"));
    await shows(withText(page.locator("#selected-actor"), alice.id));
    await shows(withText(page.locator("#selected-state"), "open.alive"));
    await present(view.lit("connection", "open"));
    await present(view.lit("connection", "open.alive"));
    await countOf(page.locator('svg[data-machine="connection"] g.active')).toBe(2);
    await shows(withText(page.locator("#actor-events-name"), alice.id));
    await shows(page.locator("#actor-events li").first());
    await shows(view.records("event").filter({ hasText: "socket.message" }).first());
    await fullScreenshot(page, "inspector-overview");
    if (process.env.DOCS_SCREENSHOTS === "1") {
      await page.screenshot({ path: DOCS_IMAGE, fullPage: true });
    }

    // Alice leaves: her row shows closed (dimmed) and the diagram lights `closed`, then it goes.
    alice.client.close(1000);
    await alice.client.closed;
    await present(view.lit("connection", "closed"));
    await countOf(page.locator('svg[data-machine="connection"] g.active')).toBe(1);
    await shows(view.state(alice.id, "closed"));
    await shows(view.row(alice.id).and(page.locator(".gone")));
    // A closed connection is in no room: its fading row does not keep the old ones.
    expect(
      await page
        .locator(`tr[data-connection-id="${alice.id}"] td[data-cell="rooms"]`)
        .textContent(),
    ).toBe("");
    await shows(view.count("connections", 1));
    await screenshot(page, "inspector-closed");
    await detached(view.row(alice.id));
    await shows(page.locator("#select-supervisor[aria-pressed='true']"));
    await countOf(page.locator('svg[data-machine="connection"] g.active')).toBe(0);
    await shows(withText(page.locator('li[data-room="lobby"] .members'), bob.id));

    // The log has both connects and alice's disconnect (with its close code).
    await shows(view.records("connect").filter({ hasText: alice.id }));
    // Timers are callback actors with a status and no state value: never "(no state)".
    await countOf(view.records().filter({ hasText: "(no state)" })).toBe(0);
    await shows(view.records("connect").filter({ hasText: bob.id }));
    await shows(
      view.records("disconnect").filter({ hasText: alice.id }).filter({ hasText: "1000" }),
    );

    // Filtering by bob's id hides everything about alice.
    await page.locator("#filter-client").fill(bob.id);
    await countOf(view.records().filter({ hasText: alice.id })).toBe(0);
    await countOf(view.records("disconnect")).toBe(0);
    await shows(view.records("connect").filter({ hasText: bob.id }));
    await fullScreenshot(page, "inspector-filtered");
    await page.locator("#filter-client").fill("");
    await shows(view.records("disconnect").filter({ hasText: alice.id }));

    // Paused, the log stands still while carol connects; resumed, it shows her.
    const pause = page.locator("#pause");
    await pause.click();
    await shows(withText(pause, "Resume").and(page.locator("[aria-pressed='true']")));
    const rows = await view.records().count();
    const carol = await connectTo(broker, url);
    await shows(view.state(carol.id, "open.alive"));
    await shows(pause.filter({ hasText: /^Resume \(\d+ new\)$/ }));
    expect(await view.records().count()).toBe(rows);
    expect(await view.records().filter({ hasText: carol.id }).count()).toBe(0);
    await fullScreenshot(page, "inspector-paused");
    await pause.click();
    await shows(withText(pause, "Pause").and(page.locator("[aria-pressed='false']")));
    await shows(view.records("connect").filter({ hasText: carol.id }));
    expect(await view.records().count()).toBeGreaterThan(rows);
    bob.client.close(1000);
    carol.client.close(1000);
  });

  it("answers 401 without the token and runs live with ?token=", async () => {
    const { broker, url, origin } = await inspectedBroker({ token: "s3cret" });
    const page = await chromium.open(origin);
    const refused = await page.goto(new URL("/_inspect", origin).href);
    expect(refused?.status()).toBe(401);
    expect(await refused?.json()).toMatchObject({ error: { code: "unauthorized" } });
    const wrong = await page.goto(new URL("/_inspect?token=guess", origin).href);
    expect(wrong?.status()).toBe(401);

    await openInspector(page, origin, "/_inspect?token=s3cret");
    const view = inspectorView(page);
    await shows(withText(page.locator("#supervisor-state"), "running"));
    await shows(page.locator("#no-connections"));

    // The feed (which needs the token too) brings a client that connects afterwards.
    const dave = await connectTo(broker, url);
    await shows(view.state(dave.id, "open.alive"));
    await shows(view.count("connections", 1));
    await shows(view.records("connect").filter({ hasText: dave.id }));
    await fullScreenshot(page, "inspector-token");
    dave.client.close(1000);
  });

  it.each([
    { payloads: false, shown: "hidden" },
    { payloads: true, shown: "shown" },
  ])(
    "keeps message payloads out of the log unless payloads: true ($shown)",
    async ({ payloads }) => {
      const { broker, url, origin } = await inspectedBroker(payloads ? { payloads } : true);
      const page = await openInspector(await chromium.open(origin), origin);
      const view = inspectorView(page);
      const secret = `hunter2-${payloads}-7f3a`;
      const note = page.locator("#payload-note");
      if (payloads) await expect(note.isHidden()).resolves.toBe(true);
      else await shows(note);

      const erin = await connectTo(broker, url);
      erin.client.send(JSON.stringify({ type: "note", data: { secret }, id: 7 }));
      expect(JSON.parse(await erin.client.next())).toEqual({ type: "ack", id: 7, data: "noted" });
      const message = view.records("event").filter({ hasText: "socket.message" });
      await shows(message);
      if (payloads) {
        await shows(message.filter({ hasText: secret }));
      } else {
        await shows(message.filter({ hasText: "frame=[hidden]" }));
        // Nowhere on the page: not in the text, not in an attribute.
        expect(await page.content()).not.toContain(secret);
        await view.row(erin.id).click();
        await shows(page.locator("#actor-events li").filter({ hasText: "socket.message" }).first());
        expect(await page.content()).not.toContain(secret);
      }
      await fullScreenshot(page, `inspector-payloads-${payloads ? "shown" : "hidden"}`);
      erin.client.close(1000);
    },
  );
});
