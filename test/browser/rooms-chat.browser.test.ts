/**
 * examples/rooms-chat, end to end: the example runs as its own process (PORT=0), Chromium pages
 * use the app as people would. Fields are found by their labels and buttons by what they say,
 * so the accessibility requirements (visible labels, buttons named for what they do, a live log)
 * are part of what is tested. Nothing waits on a clock: every wait is a locator waiting for the
 * page to show something, or a polled expectation with a deadline.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Locator, Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { type Client, ClientError, connect } from "../../src/client/index.js";
import { chromiumSkipReason, screenshot, useChromium } from "../helpers/browser.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const STARTUP_LIMIT_MS = 15_000;
/** How long a page may take to show what a test waits for. */
const SHOWN_MS = 10_000;

/** An expectation retried until it holds or SHOWN_MS pass: the waiting is in the assertion. */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: SHOWN_MS });

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface RunningApp {
  readonly wsUrl: string;
  readonly chatUrl: string;
  readonly inspectorUrl: string;
  /** The lines printed at startup, in order. */
  readonly lines: readonly string[];
  stop(): Promise<Exit>;
}

const READY = [
  /^listening on (ws:\/\/127\.0\.0\.1:(\d+)\/ws)$/,
  /^chat on (http:\/\/127\.0\.0\.1:(\d+)\/)$/,
  /^inspector on (http:\/\/127\.0\.0\.1:(\d+)\/_inspect)$/,
] as const;

const running = new Set<RunningApp>();

afterEach(async () => {
  const apps = [...running];
  running.clear();
  await Promise.all(apps.map((app) => app.stop()));
});

/** Starts `examples/rooms-chat/server.ts` with PORT=0; resolves once its three lines are out. */
function startApp(): Promise<RunningApp> {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/rooms-chat/server.ts"], {
    cwd: root,
    env: { ...process.env, PORT: "0" },
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const stop = (signal: NodeJS.Signals = "SIGTERM"): Promise<Exit> => {
    running.delete(app);
    signalChild(child, signal);
    return exited;
  };
  const app: RunningApp = { wsUrl: "", chatUrl: "", inspectorUrl: "", lines: [], stop };
  running.add(app);

  return new Promise<RunningApp>((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(limit);
      void stop("SIGKILL");
      reject(
        new Error(`examples/rooms-chat ${why}\n--- stdout ---\n${stdout}--- stderr ---\n${stderr}`),
      );
    };
    const limit = setTimeout(
      () => fail(`printed no ready lines within ${STARTUP_LIMIT_MS} ms`),
      STARTUP_LIMIT_MS,
    );
    child.once("error", (error) => fail(`could not start: ${error.message}`));
    child.once("exit", (code, signal) => fail(`exited (${code ?? signal}) before it was ready`));
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      const lines = stdout.split("\n").slice(0, -1);
      if (settled || lines.length < READY.length) return;
      const matches = READY.map((pattern, index) => pattern.exec(lines[index] ?? ""));
      const [ws, chat, inspector] = matches;
      if (!ws || !chat || !inspector) return fail("printed unexpected ready lines");
      if (new Set(matches.map((match) => match?.[2])).size !== 1) {
        return fail("printed different ports");
      }
      settled = true;
      clearTimeout(limit);
      resolve(
        Object.assign(app, {
          wsUrl: ws[1] ?? "",
          chatUrl: chat[1] ?? "",
          inspectorUrl: inspector[1] ?? "",
          lines: lines.slice(0, READY.length),
        }),
      );
    });
  });
}

function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(signal);
  } catch {
    // Gone between the check and the kill.
  }
}

// --- the page, as a person sees it -----------------------------------------------------------

/** The message log of the room shown (hidden rooms' logs are not in the accessibility tree). */
const log = (page: Page): Locator => page.getByRole("log");
const members = (page: Page): Locator =>
  page.getByRole("complementary", { name: /^Members/ }).getByRole("listitem");
const typing = (page: Page): Locator => page.locator("#typing");
/** The texts of the messages shown, oldest first. */
const messageTexts = (page: Page): Promise<string[]> =>
  log(page).locator(".message .text").allTextContents();

/** A form field by its visible label, exactly ("Name" is not "Choose a name"). */
const field = (page: Page, label: "Name" | "Room" | "Message"): Locator =>
  page.getByLabel(label, { exact: true });

/** Waits until the shown log has an entry with `text`. */
async function seeInLog(page: Page, text: string): Promise<void> {
  await log(page).getByRole("listitem").filter({ hasText: text }).first().waitFor();
}

/** Waits until `locator` is the focused element. */
async function focused(locator: Locator): Promise<void> {
  await locator.and(locator.page().locator(":focus")).waitFor();
}

/** Opens the chat in a fresh page (its own browser context) at a screenshot-friendly size. */
async function openChat(
  chromium: { open(origin: string): Promise<Page> },
  app: RunningApp,
): Promise<Page> {
  const page = await chromium.open(new URL(app.chatUrl).origin);
  page.setDefaultTimeout(SHOWN_MS);
  await page.setViewportSize({ width: 1180, height: 720 });
  const response = await page.goto(app.chatUrl);
  expect(response?.status()).toBe(200);
  return page;
}

/** Enters a name and joins a room with the mouse: the buttons are found by what they say. */
async function enterWithClicks(page: Page, name: string, room: string): Promise<void> {
  await field(page, "Name").fill(name);
  await page.getByRole("button", { name: "Enter chat" }).click();
  await field(page, "Room").fill(room);
  await page.getByRole("button", { name: "Join room", exact: true }).click();
  await page.getByRole("heading", { name: `# ${room}` }).waitFor();
}

async function sayWithClick(page: Page, text: string): Promise<void> {
  await field(page, "Message").fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  await seeInLog(page, text);
}

/** Says something with the keyboard only: type, Enter. */
async function sayWithKeyboard(page: Page, text: string): Promise<void> {
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
  await seeInLog(page, text);
}

const skip = chromiumSkipReason();

describe.skipIf(skip !== undefined)("examples/rooms-chat in Chromium", { timeout: 60_000 }, () => {
  const chromium = useChromium();

  it("two pages chat in one room; a third page in another room sees nothing of it", async () => {
    const app = await startApp();
    expect(app.lines).toHaveLength(3);

    // Alice uses the keyboard alone: Tab to the name field, then Enter submits every form,
    // and the focus moves on to the next field by itself.
    const alice = await openChat(chromium, app);
    await alice.keyboard.press("Tab");
    await focused(field(alice, "Name"));
    await alice.keyboard.type("alice");
    await alice.keyboard.press("Enter");
    await focused(field(alice, "Room"));
    await alice.keyboard.type("lobby");
    await alice.keyboard.press("Enter");
    await focused(field(alice, "Message"));
    await alice.getByRole("heading", { name: "# lobby" }).waitFor();
    await poll(() => members(alice).allTextContents()).toEqual(["alice (you)"]);

    // New messages are announced: the log is a polite live region.
    expect(await log(alice).getAttribute("aria-live")).toBe("polite");
    expect(await log(alice).getAttribute("aria-label")).toBe("Messages in lobby");

    // Bob uses the mouse; he joins from the room list, where lobby now shows.
    const bob = await openChat(chromium, app);
    await field(bob, "Name").fill("bob");
    await bob.getByRole("button", { name: "Enter chat" }).click();
    await bob.getByRole("button", { name: "Join lobby" }).click();
    await bob.getByRole("heading", { name: "# lobby" }).waitFor();

    // Presence: both see both, and alice is told bob came.
    await seeInLog(alice, "bob joined");
    await poll(() => members(alice).allTextContents()).toEqual(["alice (you)", "bob"]);
    await poll(() => members(bob).allTextContents()).toEqual(["alice", "bob (you)"]);

    await sayWithKeyboard(alice, "hello bob");
    await seeInLog(bob, "hello bob");
    await sayWithClick(bob, "hi alice, how are things?");
    await seeInLog(alice, "hi alice, how are things?");

    // Typing: bob types, alice sees it; bob's message then clears it.
    await field(bob, "Message").pressSequentially("all good here");
    await typing(alice).filter({ hasText: "bob is typing…" }).waitFor();
    expect(await typing(bob).textContent()).toBe("");
    await bob.keyboard.press("Enter");
    await seeInLog(alice, "all good here");
    await poll(() => typing(alice).textContent()).toBe("");
    await sayWithKeyboard(alice, "shall we try the inspector?");
    await seeInLog(bob, "shall we try the inspector?");

    // Carol is in another room.
    const carol = await openChat(chromium, app);
    await enterWithClicks(carol, "carol", "other");
    await sayWithClick(carol, "anyone here?");
    await field(bob, "Message").pressSequentially("carol cannot see this");
    await typing(alice).filter({ hasText: "bob is typing…" }).waitFor();
    // The picture for the docs: two members, a conversation, someone typing.
    await screenshot(alice, "rooms-chat-two-members");
    await bob.keyboard.press("Enter");
    await seeInLog(alice, "carol cannot see this");
    // Carol's own next message comes after everything lobby sent: had any of it reached her, it
    // would be on her page by the time this one is.
    await sayWithClick(carol, "quiet in here");

    expect(await messageTexts(carol)).toEqual(["anyone here?", "quiet in here"]);
    expect(await log(carol).textContent()).not.toMatch(/alice|bob/);
    expect(await typing(carol).textContent()).toBe("");
    expect(await members(carol).allTextContents()).toEqual(["carol (you)"]);
    // She can see that lobby exists (the room list), only not what is said there.
    await carol.getByRole("button", { name: "Join lobby" }).waitFor();
    // And lobby heard nothing from other.
    await sayWithKeyboard(alice, "see you later");
    await seeInLog(bob, "see you later");
    for (const page of [alice, bob]) {
      expect(await log(page).textContent()).not.toMatch(/anyone here|quiet in here|carol joined/);
    }
    expect(await messageTexts(bob)).toEqual([
      "hello bob",
      "hi alice, how are things?",
      "all good here",
      "shall we try the inspector?",
      "carol cannot see this",
      "see you later",
    ]);

    await screenshot(alice, "rooms-chat-alice");
    await screenshot(bob, "rooms-chat-bob");
    await screenshot(carol, "rooms-chat-carol");

    // Bob leaves: alice is told, and the member list follows.
    await bob.getByRole("button", { name: "Leave room" }).click();
    await focused(field(bob, "Room"));
    await seeInLog(alice, "bob left");
    await poll(() => members(alice).allTextContents()).toEqual(["alice (you)"]);

    expect(await app.stop()).toEqual({ code: 0, signal: null });
  });

  it("a page reloaded mid-conversation gets the history when it joins again", async () => {
    const app = await startApp();
    const alice = await openChat(chromium, app);
    const bob = await openChat(chromium, app);
    await enterWithClicks(alice, "alice", "lobby");
    await enterWithClicks(bob, "bob", "lobby");
    await sayWithClick(alice, "first");
    await seeInLog(bob, "first");
    await sayWithClick(bob, "second");
    await sayWithClick(alice, "third");
    await seeInLog(bob, "third");

    await bob.reload();
    await seeInLog(alice, "bob left");
    await poll(() => members(alice).allTextContents()).toEqual(["alice (you)"]);
    await sayWithClick(alice, "fourth, while bob is away");

    // Re-entering: the name is remembered by the browser, but asked again.
    await poll(() => field(bob, "Name").inputValue()).toBe("bob");
    await bob.getByRole("button", { name: "Enter chat" }).click();
    await bob.getByRole("button", { name: "Join lobby" }).click();
    await bob.getByRole("heading", { name: "# lobby" }).waitFor();
    await seeInLog(bob, "Last 4 messages in lobby");
    expect(await messageTexts(bob)).toEqual([
      "first",
      "second",
      "third",
      "fourth, while bob is away",
    ]);
    const authors = await log(bob).locator(".message .author").allTextContents();
    expect(authors).toEqual(["alice", "bob", "alice", "alice"]);
    await seeInLog(alice, "bob joined");
    await poll(() => members(bob).allTextContents()).toEqual(["alice", "bob (you)"]);

    // The conversation carries on from there.
    await sayWithClick(bob, "back again");
    await seeInLog(alice, "back again");
    await screenshot(bob, "rooms-chat-bob-after-reload");
  });

  it("says why a room name or a message is refused, next to the field", async () => {
    const app = await startApp();
    const page = await openChat(chromium, app);
    await page.getByRole("button", { name: "Enter chat" }).click();
    await page.getByText("Enter a name.").waitFor();
    expect(await field(page, "Name").getAttribute("aria-invalid")).toBe("true");

    await field(page, "Name").fill("dora");
    await field(page, "Name").press("Enter");
    await field(page, "Room").fill("no/slashes");
    await field(page, "Room").press("Enter");
    await page.getByRole("alert").filter({ hasText: "Use 1 to 32 letters" }).waitFor();
    await focused(field(page, "Room"));

    await field(page, "Room").fill("tea room");
    await field(page, "Room").press("Enter");
    await focused(field(page, "Message"));
    await field(page, "Message").press("Enter");
    await page.getByRole("alert").filter({ hasText: "Type a message first." }).waitFor();
  });
});

// --- the protocol, from Node (no browser needed) ---------------------------------------------

interface ChatMessage {
  id: number;
  room: string;
  name: string;
  text: string;
  at: number;
}
interface JoinReply {
  room: string;
  history: ChatMessage[];
  members: string[];
}
interface Events {
  hello: { name: unknown };
  rooms: undefined;
  join: { room: unknown };
  leave: { room: unknown };
  say: { room: unknown; text: unknown };
  typing: { room: unknown };
  message: ChatMessage;
  presence: { room: string; name: string; action: "join" | "leave"; members: string[] };
  roomsChanged: { name: string; members: number }[];
}
interface Replies {
  hello: { name: string; members: number }[];
  join: JoinReply;
  say: ChatMessage;
}

describe("examples/rooms-chat protocol", { timeout: 30_000 }, () => {
  const clients: Client<Events, Replies>[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  const open = (app: RunningApp) => {
    const client = connect<Events, Replies>(app.wsUrl, { reconnect: false });
    clients.push(client);
    return client;
  };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => "resolved",
      (error: unknown) => (error instanceof ClientError ? error.message : String(error)),
    );

  it("keeps the last 50 messages of a room and sends them on join", async () => {
    const app = await startApp();
    const alice = open(app);
    await alice.request("hello", { name: "alice" });
    expect((await alice.request("join", { room: "lobby" })).history).toEqual([]);
    for (let n = 1; n <= 55; n++) await alice.request("say", { room: "lobby", text: `line ${n}` });

    const bob = open(app);
    expect(await bob.request("hello", { name: "bob" })).toEqual([{ name: "lobby", members: 1 }]);
    const reply = await bob.request("join", { room: "lobby" });
    expect(reply.room).toBe("lobby");
    expect(reply.members).toEqual(["alice", "bob"]);
    expect(reply.history.map((message) => message.text)).toEqual(
      Array.from({ length: 50 }, (_, index) => `line ${index + 6}`),
    );
    expect(reply.history.every((message) => message.name === "alice")).toBe(true);
  });

  it("refuses bad input with a clear message, and nothing before a name", async () => {
    const app = await startApp();
    const client = open(app);
    expect(await failure(client.request("join", { room: "lobby" }))).toBe("Choose a name first");
    expect(await failure(client.request("hello", { name: "  " }))).toBe("Name cannot be empty");
    expect(await failure(client.request("hello", { name: "x".repeat(33) }))).toBe(
      "Name is too long (32 at most)",
    );
    expect(await failure(client.request("hello", { name: 42 }))).toBe("Name must be text");
    await client.request("hello", { name: "eve" });
    expect(await failure(client.request("join", { room: "a/b" }))).toBe(
      "Room names use letters, digits, spaces, _ and - only",
    );
    expect(await failure(client.request("join", { room: "r".repeat(33) }))).toBe(
      "Room is too long (32 at most)",
    );
    expect(await failure(client.request("say", { room: "lobby", text: "hi" }))).toBe(
      'Join room "lobby" first',
    );
    await client.request("join", { room: "lobby" });
    expect(await failure(client.request("say", { room: "lobby", text: "y".repeat(2001) }))).toBe(
      "Message is too long (2000 at most)",
    );
    expect(await failure(client.request("say", { room: "lobby", text: "\u0007" }))).toBe(
      "Message cannot contain control characters",
    );
    expect(await failure(client.request("leave", { room: "elsewhere" }))).toBe(
      'You are not in room "elsewhere"',
    );
    // Still connected and usable after every refusal.
    expect((await client.request("say", { room: "lobby", text: "still here" })).text).toBe(
      "still here",
    );
  });
});
