import { describe, expect, it } from "vitest";
import { connectClient, type TestClient } from "../helpers/test-client.js";
import { startExample } from "./run-example.js";

interface UsersFrame {
  type: "users";
  users: string[];
}

/** Asks `#users` and returns the answer; a round trip also proves earlier frames were handled. */
async function users(client: TestClient): Promise<string[]> {
  client.send("#users");
  const frame = await client.nextJson<UsersFrame>();
  expect(frame.type).toBe("users");
  return frame.users;
}

/**
 * Asks `#users` until the answer matches. A client's own close and the server's handling of it
 * happen in two processes, in no fixed order, so the first answer may still list the leaver.
 */
async function usersUntil(client: TestClient, expected: string[], limitMs = 5_000) {
  const deadline = Date.now() + limitMs;
  let answer = await users(client);
  while (JSON.stringify(answer) !== JSON.stringify(expected) && Date.now() < deadline) {
    answer = await users(client);
  }
  return answer;
}

describe("examples/better-chat", () => {
  it("names a new client Guest", async () => {
    const { url } = await startExample("better-chat");
    const client = await connectClient(url);
    expect(await users(client)).toEqual(["Guest"]);
  });

  it("answers #users to the asker only, in connection order", async () => {
    const { url } = await startExample("better-chat");
    const alice = await connectClient(url);
    const bob = await connectClient(url);
    alice.send("#name|alice");
    expect(await users(alice)).toEqual(["alice", "Guest"]);
    bob.send("#name|bob");
    expect(await users(bob)).toEqual(["alice", "bob"]);
    // Had bob's answer gone to alice too, it would come before her own and stay pending.
    expect(await users(alice)).toEqual(["alice", "bob"]);
    expect(alice.pending).toEqual([]);
  });

  it("broadcasts #chat as a msg from the sender's name to every client", async () => {
    const { url } = await startExample("better-chat");
    const alice = await connectClient(url);
    const bob = await connectClient(url);
    alice.send("#name|alice");
    alice.send("#chat|hi");
    for (const client of [alice, bob]) {
      expect(await client.nextJson()).toEqual({ type: "msg", user: "alice", message: "hi" });
    }
    bob.send("#chat|hello alice");
    for (const client of [alice, bob]) {
      expect(await client.nextJson()).toEqual({
        type: "msg",
        user: "Guest",
        message: "hello alice",
      });
    }
  });

  it("unescapes a separator inside a chat message", async () => {
    const { url } = await startExample("better-chat");
    const client = await connectClient(url);
    client.send("#name|a\\|b");
    client.send("#chat|x \\| y");
    expect(await client.nextJson()).toEqual({ type: "msg", user: "a|b", message: "x | y" });
  });

  it("drops a client that disconnects from #users", async () => {
    const { url } = await startExample("better-chat");
    const alice = await connectClient(url);
    const bob = await connectClient(url);
    // Frames from two sockets have no order between them: wait for alice's before bob's.
    alice.send("#name|alice");
    expect(await users(alice)).toEqual(["alice", "Guest"]);
    bob.send("#name|bob");
    expect(await users(bob)).toEqual(["alice", "bob"]);
    bob.close();
    await bob.closed;
    expect(await usersUntil(alice, ["alice"])).toEqual(["alice"]);
  });

  it("prints only its listening line and exits 0 on SIGINT, closing clients with 1001", async () => {
    const example = await startExample("better-chat");
    const client = await connectClient(example.url);
    expect(await example.stop("SIGINT")).toEqual({ code: 0, signal: null });
    expect((await client.closed).code).toBe(1001);
    expect(example.stdout()).toBe(`listening on ${example.url}\n`);
  });
});
