/**
 * A started supervisor with recording hooks, and `accept`, which hands it a connection actor for a
 * fresh fake transport the way the broker does (see `connectionActor` in fakes.ts), in a pooled
 * actor system (`systems`: one pool per supervisor, as the broker has one). Shared by the
 * supervisor-*.test.ts files.
 */

import { afterEach, beforeEach, vi } from "vitest";
import { type Actor, createActor } from "xstate";
import type { connectionMachine, HeartbeatSettings } from "../../actors/connection.js";
import { supervisorMachine } from "../../actors/supervisor.js";
import type { Codec } from "../../protocols/codec.js";
import { json } from "../../protocols/json.js";
import { CloseCode } from "../../src/constants.js";
import {
  connectionActor,
  type FakeTransport,
  fakeTransport,
  recordingHooks,
  reportingPool,
} from "./fakes.js";

export const SHUTDOWN = {
  type: "shutdown",
  code: CloseCode.GOING_AWAY,
  reason: "server shutting down",
} as const;

/** What the broker gives every connection actor it creates (the supervisor no longer does). */
export interface ConnectionSettings {
  readonly heartbeat?: HeartbeatSettings;
  readonly closeTimeout?: number;
}

export type ConnectionActor = Actor<typeof connectionMachine>;

export function startSupervisor(settings: ConnectionSettings = {}) {
  const hooks = recordingHooks();
  const supervisor = createActor(supervisorMachine, { input: { hooks } }).start();
  const registry = () => supervisor.getSnapshot().context.registry;
  /** The pool the connection actors' systems come from; `systems.roots` lists its shards. */
  const systems = reportingPool(supervisor);
  const transports = new Map<string, FakeTransport>();
  /** Every connection actor handed to the supervisor, registered or not, by id. */
  const connections = new Map<string, ConnectionActor>();
  /** Accepts a client with a fresh fake transport, as the transports layer and broker do. */
  const accept = (id: string, codec: Codec = json()): FakeTransport => {
    const transport = fakeTransport();
    const ref = connectionActor(supervisor, systems, { id, transport, codec, hooks, ...settings });
    transports.set(id, transport);
    connections.set(id, ref);
    supervisor.send({ type: "connection.accept", id, ref, transport, codec });
    return transport;
  };
  /** The connection actor of a registered client. */
  const connectionOf = (id: string): ConnectionActor => {
    const record = registry().get(id);
    if (!record) throw new Error(`no connection ${id}`);
    const ref = connections.get(id);
    if (record.ref !== ref) throw new Error(`connection ${id} registered with another actor`);
    return ref;
  };
  /** The text frames each client received, keyed by id. */
  const inboxes = (): Record<string, string[]> =>
    Object.fromEntries([...transports].map(([id, transport]) => [id, transport.sent()]));
  return {
    supervisor,
    hooks,
    registry,
    accept,
    connectionOf,
    connections,
    inboxes,
    transports,
    systems,
  };
}

/** Fake timers for each test of the calling file; the connections' delays run on them. */
export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
}
