import { describe, expect, it } from "vitest";
import { authFrame, Credentials, isFinalRefusal, readAuthAnswer } from "../../src/client/auth.js";
import { ClientError } from "../../src/client/errors.js";
import { jsonFrames, separatorFrames } from "../../src/client/frames.js";

const json = jsonFrames();
const sep = separatorFrames("|");

describe("auth frames", () => {
  it("carries the token in the broker's auth frame, escaped in the separator protocol", () => {
    expect(authFrame(json, "abc.def")).toBe('{"type":"auth","data":{"token":"abc.def"}}');
    expect(authFrame(sep, "a|b")).toBe("#auth|a\\|b");
  });

  it("reads the broker's ok in both protocols, and nothing else as one", () => {
    expect(readAuthAnswer(json.decode('{"type":"auth","data":{"ok":true}}'))).toEqual({ ok: true });
    expect(readAuthAnswer(sep.decode('#auth|{"ok":true}'))).toEqual({ ok: true });
    // An application's own `auth` event is not the broker's answer.
    expect(readAuthAnswer(json.decode('{"type":"auth","data":{"user":"x"}}'))).toBeUndefined();
    expect(readAuthAnswer(sep.decode("#auth|not json"))).toBeUndefined();
    expect(readAuthAnswer(json.decode('{"type":"chat","data":{"ok":true}}'))).toBeUndefined();
  });

  it("reads refusals; other error frames only when any answer counts (TCP's first line)", () => {
    const refused = json.decode('{"type":"error","data":{"code":"unauthorized","message":"no"}}');
    expect(readAuthAnswer(refused)).toEqual({ ok: false, code: "unauthorized", message: "no" });
    expect(readAuthAnswer(sep.decode("#error|forbidden|nope"))).toMatchObject({ ok: false });
    const internal = json.decode('{"type":"error","data":{"code":"internal","message":"x"}}');
    expect(readAuthAnswer(internal)).toBeUndefined();
    expect(readAuthAnswer(internal, true)).toMatchObject({ ok: false, code: "internal" });
  });

  it("treats a refusal as final only when the token cannot change", () => {
    const refusal = new ClientError("unauthorized", "refused");
    expect(isFinalRefusal(refusal, false)).toBe(true);
    expect(isFinalRefusal(refusal, true)).toBe(false);
    expect(isFinalRefusal(new ClientError("connect_failed", "down"), false)).toBe(false);
    expect(isFinalRefusal(undefined, false)).toBe(false);
  });
});

describe("credentials", () => {
  it("calls a token function on every read, so it can refresh", async () => {
    let calls = 0;
    const credentials = new Credentials(async () => `t${++calls}`, 1_000);
    expect(await credentials.current()).toBe("t1");
    expect(await credentials.current()).toBe("t2");
    expect(credentials.renewable).toBe(true);
  });

  it("turns a failing or unusable token function into token_failed", async () => {
    const throwing = new Credentials(() => {
      throw new Error("no refresh token");
    }, 1_000);
    await expect(throwing.current()).rejects.toMatchObject({ code: "token_failed" });
    const spaced = new Credentials(() => "has space", 1_000);
    await expect(spaced.current()).rejects.toMatchObject({ code: "token_failed" });
    const huge = new Credentials(() => "x".repeat(8 * 1024 + 1), 1_000);
    await expect(huge.current()).rejects.toMatchObject({ code: "token_failed" });
  });

  it("has no token without the option, and a static one is not renewable", async () => {
    expect(await new Credentials(undefined, 1_000).current()).toBeUndefined();
    const fixed = new Credentials("opaque", 1_000);
    expect(await fixed.current()).toBe("opaque");
    expect(fixed.renewable).toBe(false);
  });
});
