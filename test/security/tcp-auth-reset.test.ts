import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { json } from "../../protocols/json.js";
import { AdmissionGate } from "../../src/admission.js";
import { AuthSessions } from "../../src/auth-session.js";
import { TcpTransport } from "../../src/transports/tcp.js";
import { heldAuthenticate } from "../helpers/held-authenticate.js";

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  // A failed test leaves both ends open, and `server.close` waits for its connections.
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(
    servers
      .splice(0)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

/**
 * A TCP client's admission driven directly (no broker), so the test holds the server's end of
 * the socket and knows when the server has seen the client's reset.
 */
describe("a TCP client that resets while authenticate decides", () => {
  it("is admitted by nobody, and its slot is released once authenticate answers", async () => {
    const held = heldAuthenticate();
    const gate = new AdmissionGate({
      allowedOrigins: undefined,
      maxConnections: 1,
      authenticate: held.authenticate,
      authorize: undefined,
      callbackTimeout: 10_000,
      connections: () => 0,
      report: () => {},
    });
    const sessions = new AuthSessions({
      authenticate: held.authenticate,
      authTimeout: 10_000,
      tell: () => {},
      dataOf: () => undefined,
      report: () => {},
    });
    const admitted: object[] = [];
    let serverSide: (socket: Socket) => void = () => {};
    const accepted = new Promise<Socket>((resolve) => {
      serverSide = resolve;
    });
    const server = createServer((socket) => {
      sockets.push(socket);
      const transport = new TcpTransport(socket, { maxPayload: 1024 });
      void sessions.admitTcp(transport, json(), gate, (data) => admitted.push(data));
      serverSide(socket);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const client = connect({ host: "127.0.0.1", port: address.port });
    client.on("error", () => {});
    sockets.push(client);
    const socket = await accepted;
    client.write('{"type":"auth","data":{"token":"t"}}\n');
    const call = await held.next();
    // Inside authenticate it holds the only slot.
    expect(gate.full()).toBe(true);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    client.resetAndDestroy();
    await closed;
    // The call it started still runs: the slot stays taken until it answers.
    expect(gate.full()).toBe(true);
    call.answer(true);
    // The gate's answer runs in promise callbacks, every one of them before the next I/O phase.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(admitted).toEqual([]);
    expect(gate.full()).toBe(false);
  });
});
