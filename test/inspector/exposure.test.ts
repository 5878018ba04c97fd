import { request as httpRequest } from "node:http";
import { networkInterfaces } from "node:os";
import { describe, expect, it } from "vitest";
import { fromLoopback } from "../../src/inspector/auth.js";
import { startBroker } from "../helpers/test-broker.js";

/** An IPv4 address of this machine that is not loopback, if it has one (a LAN or VM interface). */
function externalAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (!address.internal && address.family === "IPv4") return address.address;
    }
  }
  return undefined;
}

const external = externalAddress();
if (external === undefined) {
  console.log(
    "exposure.test.ts: this machine has no non-loopback IPv4 address; the socket test skips",
  );
}

/** GETs the snapshot through `via` (the address the request is sent to and named by). */
function snapshotStatus(via: string, port: number, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `${via}:${port}` };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const request = httpRequest(
      { host: via, port, path: "/_inspect/snapshot", headers },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on("error", reject);
    request.end();
  });
}

describe("a token-less inspector answers this machine only", () => {
  it("counts 127.0.0.0/8 and ::1 (also IPv4-mapped) as this machine, and nothing else", () => {
    for (const address of ["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1"]) {
      expect(fromLoopback(address), address).toBe(true);
    }
    for (const address of ["192.0.2.2", "10.0.0.1", "::ffff:10.0.0.1", "fd00::2", "127.evil", ""]) {
      expect(fromLoopback(address), address).toBe(false);
    }
    expect(fromLoopback(undefined)).toBe(false);
  });

  it.skipIf(external === undefined)(
    "refuses a peer on another address with 403 and serves loopback; a token opens it to any peer",
    async () => {
      const via = external ?? "";
      const open = await startBroker({ host: "0.0.0.0", inspector: true });
      expect(await snapshotStatus(via, open.port)).toBe(403);
      expect(await snapshotStatus("127.0.0.1", open.port)).toBe(200);

      const guarded = await startBroker({ host: "0.0.0.0", inspector: { token: "t0k3n" } });
      expect(await snapshotStatus(via, guarded.port)).toBe(401);
      expect(await snapshotStatus(via, guarded.port, "t0k3n")).toBe(200);
    },
  );
});
