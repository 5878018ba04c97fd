import { describe, expect, it } from "vitest";
import { setup } from "xstate";
import { connectionMachine } from "../../actors/connection.js";
import { supervisorMachine } from "../../actors/supervisor.js";
import { type GraphTransition, machineGraph, machineGraphs } from "../../src/inspector/graph.js";

function edge(transitions: readonly GraphTransition[], source: string, event: string) {
  return transitions.filter((t) => t.source === source && t.event === event);
}

describe("machineGraph", () => {
  const graph = machineGraph(connectionMachine);
  const byPath = new Map(graph.states.map((state) => [state.path, state]));

  it("lists every state of the connection machine with its description", () => {
    for (const path of ["connecting", "open", "open.alive", "open.probing", "closing", "closed"]) {
      const state = byPath.get(path);
      expect(state, path).toBeDefined();
      expect(state?.description, path).not.toBe("");
      expect(state?.id).toBe(`connection.${path}`);
    }
    expect(graph.id).toBe("connection");
    expect(byPath.get("")?.parent).toBeNull();
    expect(byPath.get("open.alive")?.parent).toBe("open");
  });

  it("marks initial and final states", () => {
    expect(byPath.get("connecting")?.initial).toBe(true);
    expect(byPath.get("open.alive")?.initial).toBe(true);
    expect(byPath.get("open.probing")?.initial).toBe(false);
    expect(byPath.get("closed")?.final).toBe(true);
    expect(byPath.get("open")?.final).toBe(false);
    expect(byPath.get("open")?.type).toBe("compound");
  });

  it("takes descriptions from the machine definition itself", () => {
    for (const state of graph.states) {
      const node =
        state.path === "" ? connectionMachine.root : connectionMachine.getStateNodeById(state.id);
      expect(state.description).toBe(node.description ?? "");
    }
  });

  it("lists event transitions with their targets", () => {
    expect(edge(graph.transitions, "connecting", "connection.registered")).toEqual([
      {
        source: "connecting",
        target: "open",
        event: "connection.registered",
        kind: "event",
        actions: ["announceConnect"],
      },
    ]);
    const closed = graph.transitions.filter((t) => t.event === "socket.closed");
    expect(closed.map((t) => `${t.source}->${t.target}`).sort()).toEqual([
      "closing->closed",
      "connecting->closed",
      "expired->closed",
      "open->closed",
    ]);
    expect(edge(graph.transitions, "open", "socket.lagging")[0]?.target).toBe("open.lagging");
    expect(edge(graph.transitions, "open.lagging", "socket.drained")[0]?.target).toBe("open.alive");
    expect(edge(graph.transitions, "expired", "auth.renewed")[0]?.target).toBe("open");
    expect(edge(graph.transitions, "open.probing", "socket.pong")[0]?.target).toBe("open.alive");
  });

  it("names delayed transitions after their delay, with guard and actions", () => {
    expect(edge(graph.transitions, "open.alive", "after heartbeatInterval")).toEqual([
      {
        source: "open.alive",
        target: "open.probing",
        event: "after heartbeatInterval",
        kind: "after",
        guard: "heartbeatEnabled",
        actions: [],
      },
    ]);
    const timeout = edge(graph.transitions, "open.probing", "after heartbeatTimeout")[0];
    expect(timeout?.target).toBe("closed");
    expect(timeout?.actions).toEqual(["recordHeartbeatTimeout", "terminateTransport"]);
    expect(edge(graph.transitions, "closing", "after closeTimeout")[0]?.target).toBe("closed");
    expect(graph.transitions.some((t) => t.event.startsWith("xstate.after."))).toBe(false);
  });

  it("keeps targetless transitions with target null", () => {
    expect(edge(graph.transitions, "", "socket.error")[0]).toMatchObject({
      target: null,
      actions: ["recordTransportFailure", "reportTransportError"],
    });
    expect(edge(graph.transitions, "open", "socket.message")[0]?.target).toBeNull();
  });

  it("draws the supervisor's eventless transition as always", () => {
    const supervisor = machineGraph(supervisorMachine);
    expect(supervisor.states.map((state) => state.path)).toEqual([
      "",
      "running",
      "draining",
      "settling",
      "stopped",
    ]);
    expect(edge(supervisor.transitions, "settling", "after 0ms")[0]?.target).toBe("stopped");
    expect(edge(supervisor.transitions, "draining", "always")).toEqual([
      {
        source: "draining",
        target: "settling",
        event: "always",
        kind: "always",
        guard: "noConnections",
        actions: [],
      },
    ]);
    expect(edge(supervisor.transitions, "running", "shutdown")[0]?.target).toBe("draining");
  });

  it("names numeric delays in milliseconds and survives a JSON round trip", () => {
    const machine = setup({}).createMachine({
      id: "blink",
      initial: "on",
      states: { on: { after: { 500: "off" } }, off: { type: "final" } },
    });
    const blink = machineGraph(machine);
    expect(edge(blink.transitions, "on", "after 500ms")[0]?.target).toBe("off");
    expect(JSON.parse(JSON.stringify(blink))).toEqual(blink);
  });

  it("builds graphs by name", () => {
    const graphs = machineGraphs({ connection: connectionMachine, supervisor: supervisorMachine });
    expect(Object.keys(graphs)).toEqual(["connection", "supervisor"]);
    expect(graphs.supervisor?.id).toBe("supervisor");
  });
});
