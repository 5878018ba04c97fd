import { describe, expect, it } from "vitest";
import { json } from "../../protocols/json.js";
import { separator } from "../../protocols/separator.js";
import { BrokerError, ErrorCode } from "../../src/errors.js";
import { countingCodec } from "./fakes.js";
import { startSupervisor, useFakeClock } from "./supervisor-harness.js";

useFakeClock();

describe("supervisorMachine", () => {
  describe("rooms", () => {
    it("updates the room index and record.rooms on join and leave; empty rooms disappear", () => {
      const { supervisor, registry, accept } = startSupervisor();
      accept("a");
      accept("b");
      supervisor.send({ type: "room.join", id: "a", room: "lobby" });
      supervisor.send({ type: "room.join", id: "b", room: "lobby" });
      supervisor.send({ type: "room.join", id: "a", room: "side" });
      expect(registry().rooms.get("lobby")).toEqual(new Set(["a", "b"]));
      expect(registry().rooms.get("side")).toEqual(new Set(["a"]));
      expect(registry().get("a")?.rooms).toEqual(new Set(["lobby", "side"]));

      supervisor.send({ type: "room.leave", id: "a", room: "side" });
      expect(registry().rooms.has("side")).toBe(false);
      expect(registry().get("a")?.rooms).toEqual(new Set(["lobby"]));

      supervisor.send({ type: "room.leave", id: "a", room: "lobby" });
      supervisor.send({ type: "room.leave", id: "b", room: "lobby" });
      expect(registry().rooms.size).toBe(0);
      expect(registry().get("b")?.rooms.size).toBe(0);
    });

    it("ignores a join for an unknown id", () => {
      const { supervisor, registry } = startSupervisor();
      supervisor.send({ type: "room.join", id: "ghost", room: "lobby" });
      expect(registry().rooms.size).toBe(0);
    });

    it("takes a closed connection out of its rooms", () => {
      const { supervisor, registry, accept } = startSupervisor();
      const transport = accept("a");
      accept("b");
      supervisor.send({ type: "room.join", id: "a", room: "solo" });
      supervisor.send({ type: "room.join", id: "a", room: "shared" });
      supervisor.send({ type: "room.join", id: "b", room: "shared" });
      transport.push({ type: "socket.closed", code: 1000, reason: "" });
      expect([...registry().rooms.keys()]).toEqual(["shared"]);
      expect(registry().rooms.get("shared")).toEqual(new Set(["b"]));
    });
  });

  describe("delivery", () => {
    /** Four clients: a and b on one JSON codec, c and d on one separator codec. */
    function fourClients() {
      const harness = startSupervisor();
      const jsonCodec = countingCodec(json());
      const separatorCodec = countingCodec(separator("|"));
      harness.accept("a", jsonCodec);
      harness.accept("b", jsonCodec);
      harness.accept("c", separatorCodec);
      harness.accept("d", separatorCodec);
      return { ...harness, jsonCodec, separatorCodec };
    }

    const JSON_HI = '{"type":"message","data":"hi"}';

    it("broadcasts to every client, encoding once per codec", () => {
      const { supervisor, inboxes, jsonCodec, separatorCodec, transports } = fourClients();
      supervisor.send({ type: "broadcast", payload: "hi" });
      expect(inboxes()).toEqual({ a: [JSON_HI], b: [JSON_HI], c: ["hi"], d: ["hi"] });
      expect(jsonCodec.encodes()).toBe(1);
      expect(separatorCodec.encodes()).toBe(1);
      // One encoding means one shared frame object handed to every client of that codec.
      expect(transports.get("a")?.frames[0]).toBe(transports.get("b")?.frames[0]);
      expect(transports.get("c")?.frames[0]).toBe(transports.get("d")?.frames[0]);
    });

    it("broadcasts to the members of one room only", () => {
      const { supervisor, inboxes, jsonCodec, separatorCodec } = fourClients();
      supervisor.send({ type: "room.join", id: "a", room: "r" });
      supervisor.send({ type: "room.join", id: "c", room: "r" });
      supervisor.send({ type: "broadcast", payload: "hi", room: "r" });
      expect(inboxes()).toEqual({ a: [JSON_HI], b: [], c: ["hi"], d: [] });
      expect(jsonCodec.encodes()).toBe(1);
      expect(separatorCodec.encodes()).toBe(1);
    });

    it("skips the except ids, to all and to a room", () => {
      const { supervisor, inboxes } = fourClients();
      supervisor.send({ type: "broadcast", payload: "hi", except: new Set(["a", "d"]) });
      expect(inboxes()).toEqual({ a: [], b: [JSON_HI], c: ["hi"], d: [] });

      supervisor.send({ type: "room.join", id: "a", room: "r" });
      supervisor.send({ type: "room.join", id: "b", room: "r" });
      supervisor.send({ type: "broadcast", payload: "x", room: "r", except: new Set(["a"]) });
      expect(inboxes().a).toEqual([]);
      expect(inboxes().b).toEqual([JSON_HI, '{"type":"message","data":"x"}']);
      expect(inboxes().c).toEqual(["hi"]);
    });

    it("encodes nothing for a codec none of the recipients use", () => {
      const { supervisor, jsonCodec, separatorCodec } = fourClients();
      supervisor.send({ type: "broadcast", payload: "hi", except: new Set(["c", "d"]) });
      expect(jsonCodec.encodes()).toBe(1);
      expect(separatorCodec.encodes()).toBe(0);
    });

    it("delivers nothing for an unknown room", () => {
      const { supervisor, inboxes, jsonCodec } = fourClients();
      supervisor.send({ type: "broadcast", payload: "hi", room: "nowhere" });
      expect(Object.values(inboxes()).flat()).toEqual([]);
      expect(jsonCodec.encodes()).toBe(0);
    });

    it("skips a connection that is closing", () => {
      const { supervisor, inboxes } = fourClients();
      supervisor.send({ type: "client.close", id: "a", code: 1000, reason: "" });
      supervisor.send({ type: "broadcast", payload: "hi" });
      expect(inboxes().a).toEqual([]);
      expect(inboxes().b).toEqual([JSON_HI]);
    });

    it("reports a payload it cannot encode as SB_ERR_ENCODE_FAILED and keeps running", () => {
      const { supervisor, hooks, inboxes } = fourClients();
      supervisor.send({ type: "broadcast", payload: { n: 10n } });
      expect(Object.values(inboxes()).flat()).toEqual([]);
      expect(hooks.calls.failed.length).toBeGreaterThan(0);
      for (const { id, error } of hooks.calls.failed) {
        expect(id).toBeUndefined();
        expect(error).toBeInstanceOf(BrokerError);
        expect(error.code).toBe(ErrorCode.ENCODE_FAILED);
      }
      expect(supervisor.getSnapshot().status).toBe("active");
      expect(supervisor.getSnapshot().value).toBe("running");

      supervisor.send({ type: "broadcast", payload: "hi" });
      expect(inboxes()).toEqual({ a: [JSON_HI], b: [JSON_HI], c: ["hi"], d: ["hi"] });
    });

    it("sends a whisper to one client with client.send", () => {
      const { supervisor, inboxes } = fourClients();
      supervisor.send({ type: "client.send", id: "c", payload: { x: 1 } });
      expect(inboxes()).toEqual({ a: [], b: [], c: ['{"x":1}'], d: [] });
    });

    it("does nothing on client.send to an unknown id", () => {
      const { supervisor, hooks, inboxes, jsonCodec, separatorCodec } = fourClients();
      supervisor.send({ type: "client.send", id: "ghost", payload: "hi" });
      expect(Object.values(inboxes()).flat()).toEqual([]);
      expect(jsonCodec.encodes() + separatorCodec.encodes()).toBe(0);
      expect(hooks.calls.failed).toEqual([]);
      expect(supervisor.getSnapshot().value).toBe("running");
    });

    it("reports a whisper it cannot encode against that client's id", () => {
      const { supervisor, hooks } = fourClients();
      supervisor.send({ type: "client.send", id: "b", payload: 1n });
      expect(hooks.calls.failed.map(({ id, error }) => [id, error.code])).toEqual([
        ["b", ErrorCode.ENCODE_FAILED],
      ]);
      expect(supervisor.getSnapshot().status).toBe("active");
    });

    it("sends a named event with client.emit and a raw frame with client.frame", () => {
      const { supervisor, inboxes } = fourClients();
      supervisor.send({ type: "client.emit", id: "a", event: "tick", data: 2 });
      supervisor.send({ type: "client.emit", id: "c", event: "tick", data: ["x|y"] });
      supervisor.send({ type: "client.frame", id: "d", frame: "raw" });
      expect(inboxes()).toEqual({
        a: ['{"type":"tick","data":2}'],
        b: [],
        c: ["#tick|x\\|y"],
        d: ["raw"],
      });
    });
  });
});
