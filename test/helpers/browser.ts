/**
 * Real-browser tests: Debian's Chromium driven by playwright-core (which never downloads a
 * browser). Pages are opened on a broker's own origin, so they import the client the broker
 * serves, `/_switchboard/client.js` (compiled into dist/ by `npm run build`), as same-origin ES
 * modules, exactly as an application page would.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import type * as ClientLibrary from "../../src/client/index.js";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * `--headless` is also what playwright adds itself for `headless: true` (Chromium's only
 * headless mode since 132). With `executablePath` set, playwright launches that binary and does
 * not look for its own `chromium-headless-shell` download.
 */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
];

/** Where the client entry is served on a broker's origin. */
export const CLIENT_ENTRY = "/_switchboard/client.js";

/** Screenshots go here (git-ignored). */
const RESULTS = fileURLToPath(new URL("../../test-results/", import.meta.url));

/** The `switchboard/client` module as a page's `import()` yields it. */
export type ClientModule = typeof ClientLibrary;

/** Helpers a page function gets beside the module (they are defined in the page). */
export interface PageTools {
  /** `promise`, or a rejection naming `what` after `ms` (default 5 000). */
  within<T>(promise: Promise<T>, what: string, ms?: number): Promise<T>;
}

/**
 * Why the browser tests cannot run on this machine, or undefined when they can. A missing
 * Chromium skips them (with the reason printed), except under CI=true, where it is a failure:
 * undefined is returned and the launch in `useChromium` fails saying why.
 */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH) || process.env.CI === "true") return undefined;
  const reason = `${CHROMIUM_PATH} not found (apt-get install chromium): browser tests skipped`;
  console.warn(reason);
  return reason;
}

/** A page, and what it printed as errors: for the failure message of `inPage`. */
const pageErrors = new WeakMap<Page, string[]>();

/**
 * Launches Chromium once for the enclosing `describe` (closed in afterAll); pages opened with
 * `open()` are closed after each test.
 */
export function useChromium(): { open(origin: string): Promise<Page> } {
  let browser: Browser | undefined;
  const pages: Page[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(
        `CI=true and ${CHROMIUM_PATH} is missing: the browser tests must run in CI (apt-get install chromium)`,
      );
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 10_000,
    });
  });

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
  });

  afterAll(async () => {
    await browser?.close();
  });

  return {
    /** A new page (own context) showing the client entry on `origin` (`http://127.0.0.1:<port>`). */
    async open(origin) {
      if (!browser) throw new Error("Chromium is not running (did beforeAll fail?)");
      const page = await browser.newPage();
      pages.push(page);
      const errors: string[] = [];
      pageErrors.set(page, errors);
      page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`console.error: ${message.text()}`);
      });
      const response = await page.goto(new URL(CLIENT_ENTRY, origin).href);
      if (response?.status() !== 200) {
        throw new Error(`${CLIENT_ENTRY} answered ${response?.status()}: is dist/ built?`);
      }
      return page;
    },
  };
}

/** Defines `PageTools` in the page: source text, so no test transform touches it. */
const TOOLS_SOURCE = `{
  within(promise, what, ms = 5000) {
    let timer;
    const limit = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out after " + ms + " ms waiting for " + what)), ms);
    });
    return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
  },
}`;

/**
 * Runs `run(sb, arg, tools)` in the page, where `sb` is
 * `await import("/_switchboard/client.js")` evaluated by the page itself. `run` must be
 * self-contained (it is sent as source text) and return JSON-serialisable data. The import is
 * written into the evaluated source rather than into `run`, because the test runner rewrites
 * `import()` calls in test files into a Node-side loader that does not exist in a browser.
 */
export async function inPage<A, R>(
  page: Page,
  run: (sb: ClientModule, arg: A, tools: PageTools) => R | Promise<R>,
  arg: A,
): Promise<Awaited<R>> {
  const source = `(async () => {
    const sb = await import(${JSON.stringify(CLIENT_ENTRY)});
    return (${run.toString()})(sb, ${JSON.stringify(arg)}, ${TOOLS_SOURCE});
  })()`;
  try {
    return (await page.evaluate(source)) as Awaited<R>;
  } catch (error) {
    const logged = pageErrors.get(page) ?? [];
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`in the page: ${message}${logged.map((line) => `\n  ${line}`).join("")}`, {
      cause: error,
    });
  }
}

/** Saves a PNG of the page under test-results/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS, { recursive: true });
  const path = `${RESULTS}${name}.png`;
  await page.screenshot({ path });
  return path;
}
