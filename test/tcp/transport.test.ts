import { describe, expect, it } from "vitest";
import { OutboundFrame } from "../../src/outbound-frame.js";
import { closeLine, controlType, TcpErrorCode } from "../../src/transports/tcp.js";
import { connectClient, startEndpoint, until } from "./tcp-helpers.js";

describe("TcpTransport", () => {
  describe("reading", () => {
    it("joins a line written in three separate packets", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      await client.write('{"type":');
      await client.write('"chat","da');
      await client.write('ta":"hi"}\n');
      await until(() => connection.messages()[0], "the line");
      expect(connection.messages()).toEqual(['{"type":"chat","data":"hi"}']);
    });

    it("splits several lines written in one packet, CRLF and blank lines included", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      await client.write('{"type":"a"}\n\n{"type":"b"}\r\n{"type":"c"}\n');
      await until(() => connection.messages()[2], "three lines");
      expect(connection.messages()).toEqual(['{"type":"a"}', '{"type":"b"}', '{"type":"c"}']);
    });

    it("decodes a character whose bytes arrive in two packets", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      const bytes = Buffer.from('{"type":"m","data":"🎉"}\n');
      const split = bytes.indexOf(0xf0) + 2;
      await client.write(bytes.subarray(0, split));
      await client.write(bytes.subarray(split));
      expect((await connection.next("socket.message")).frame).toBe('{"type":"m","data":"🎉"}');
    });

    it("reports a line over maxPayload and closes that connection with 1009", async () => {
      const endpoint = await startEndpoint({ maxPayload: 64 });
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      await client.write(`{"type":"ok"}\n{"type":"big","data":"${"x".repeat(100)}`);
      const { error } = await connection.next("socket.error");
      expect(error).toMatchObject({ code: TcpErrorCode.LINE_TOO_LONG, closeCode: 1009 });
      await client.ended;
      expect(JSON.parse(client.lines.at(-1) ?? "")).toMatchObject({
        type: "close",
        data: { code: 1009 },
      });
      expect(await connection.next("socket.closed")).toMatchObject({ code: 1009 });
      expect(connection.messages()).toEqual(['{"type":"ok"}']);
    });

    it("keeps other connections working when one sends a line too long", async () => {
      const endpoint = await startEndpoint({ maxPayload: 32 });
      const offender = await connectClient(endpoint.port);
      const bystander = await connectClient(endpoint.port);
      await endpoint.connection(1);
      const [first, second] = endpoint.accepted;
      await offender.write(`${"y".repeat(1000)}\n`);
      await offender.closed;
      await bystander.write('{"type":"still"}\n');
      const connections = [first, second];
      const offended = connections.find((c) => c?.events.some((e) => e.type === "socket.error"));
      const other = connections.find((c) => c !== offended);
      expect(await other?.next("socket.message")).toEqual({
        type: "socket.message",
        frame: '{"type":"still"}',
      });
      other?.transport.send('{"type":"reply"}');
      expect(await bystander.line(0)).toBe('{"type":"reply"}');
    });

    it("closes with 1007 on a line that is not UTF-8", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      await client.write(Buffer.from([0x7b, 0xff, 0x7d, 0x0a]));
      expect((await connection.next("socket.error")).error).toMatchObject({
        code: TcpErrorCode.INVALID_UTF8,
      });
      expect(await connection.next("socket.closed")).toMatchObject({ code: 1007 });
    });
  });

  describe("writing", () => {
    it("writes a string or shared OutboundFrame followed by LF", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const { transport } = await endpoint.connection(0);
      transport.send('{"type":"a"}');
      transport.send(new OutboundFrame('{"type":"é"}'));
      expect(await client.line(1)).toBe('{"type":"é"}');
      expect(client.lines).toEqual(['{"type":"a"}', '{"type":"é"}']);
      expect(transport.kind).toBe("tcp");
      expect(transport.remoteAddress).toBe("127.0.0.1");
      expect(transport.bufferedAmount).toBe(0);
    });
  });

  describe("heartbeat", () => {
    it("writes a ping line and reports the peer's pong line as socket.pong only", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      connection.transport.ping();
      expect(await client.line(0)).toBe('{"type":"ping"}');
      await client.write('{"type":"pong"}\n{"type":"after"}\n');
      await connection.next("socket.pong");
      await until(() => connection.messages()[0], "the next line");
      expect(connection.messages()).toEqual(['{"type":"after"}']);
    });

    it("answers a client's ping line with a pong line, without reporting it", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      await client.write('{"type":"ping"}\n');
      expect(await client.line(0)).toBe('{"type":"pong"}');
      expect(connection.events).toEqual([]);
    });
  });

  describe("closing", () => {
    it("writes the close line, then FIN, and reports the code it was given", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      connection.transport.send('{"type":"last"}');
      connection.transport.close(1001, "server shutting down");
      await client.ended;
      expect(client.lines).toEqual([
        '{"type":"last"}',
        '{"type":"close","data":{"code":1001,"reason":"server shutting down"}}',
      ]);
      expect(await connection.next("socket.closed")).toEqual({
        type: "socket.closed",
        code: 1001,
        reason: "server shutting down",
      });
    });

    it("ignores sends, pings and lines once closing", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port, true);
      const connection = await endpoint.connection(0);
      connection.transport.close(1000, "");
      connection.transport.send("late");
      connection.transport.ping();
      await client.ended;
      await client.write('{"type":"too late"}\n');
      client.socket.end();
      await connection.next("socket.closed");
      expect(client.lines).toEqual([closeLine(1000, "").trimEnd()]);
      expect(connection.messages()).toEqual([]);
    });

    it("destroys a peer that never answers the FIN after closeTimeout", async () => {
      const endpoint = await startEndpoint({ closeTimeout: 100 });
      const client = await connectClient(endpoint.port, true);
      const connection = await endpoint.connection(0);
      connection.transport.close(1008, "policy");
      await client.ended;
      // The client never sends its FIN: only the timer can have closed the server's side.
      expect(await connection.next("socket.closed")).toMatchObject({ code: 1008 });
      expect(client.socket.writableEnded).toBe(false);
    });

    it("reports 1000 when the peer ends the connection", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      client.socket.end();
      expect(await connection.next("socket.closed")).toMatchObject({ code: 1000 });
      expect(connection.events.map((event) => event.type)).toEqual(["socket.closed"]);
    });

    it("reports 1006 when the peer resets the connection", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      client.socket.resetAndDestroy();
      expect(await connection.next("socket.closed")).toMatchObject({ code: 1006 });
    });

    it("reports 1006 after terminate()", async () => {
      const endpoint = await startEndpoint();
      const client = await connectClient(endpoint.port);
      const connection = await endpoint.connection(0);
      connection.transport.terminate();
      await client.closed;
      expect(await connection.next("socket.closed")).toMatchObject({ code: 1006 });
    });

    it("closes a transport that was never bound (a refused connection)", async () => {
      const endpoint = await startEndpoint({ bind: false });
      const client = await connectClient(endpoint.port);
      const transport = await until(() => endpoint.unbound[0], "the connection");
      transport.close(1001, "server shutting down");
      await client.closed;
      expect(client.lines).toEqual([closeLine(1001, "server shutting down").trimEnd()]);
    });
  });
});

describe("controlType", () => {
  it("recognises ping and pong objects, with or without other fields or spaces", () => {
    expect(controlType('{"type":"ping"}')).toBe("ping");
    expect(controlType('{ "type" : "pong", "data": 1 }')).toBe("pong");
  });

  it("leaves every other line to the codec", () => {
    for (const line of [
      '{"type":"chat","data":"ping"}',
      '"ping"',
      '["pong"]',
      '{"type":"pong"',
      "x",
    ]) {
      expect(controlType(line)).toBeUndefined();
    }
  });
});
