import { afterEach } from "vitest";
import {
  type Client,
  ClientError,
  type ConnectOptions,
  connect,
  type EventMap,
  type LifecycleEvents,
  type LifecycleName,
  type NoReplies,
  type ReplyMap,
} from "../../src/client/index.js";
import type { Broker } from "../../src/index.js";

/** What the helpers need of a client, whatever its event map. */
export interface LifecycleSource {
  on<K extends LifecycleName>(type: K, listener: (data: LifecycleEvents[K]) => void): unknown;
  off<K extends LifecycleName>(type: K, listener?: (data: LifecycleEvents[K]) => void): unknown;
}

const opened: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close()));
});

/** `connect()`, with the client closed after the test. */
export function connectTo<
  Events extends object = EventMap,
  Replies extends ReplyMap<Events> = NoReplies,
>(url: string, options?: ConnectOptions): Client<Events, Replies> {
  const client = connect<Events, Replies>(url, options);
  opened.push(client);
  return client;
}

/** Resolves with the data of the client's next lifecycle event `name`. */
export function once<K extends LifecycleName>(
  client: LifecycleSource,
  name: K,
): Promise<LifecycleEvents[K]> {
  return new Promise((resolve) => {
    const listener = (data: LifecycleEvents[K]) => {
      client.off(name, listener);
      resolve(data);
    };
    client.on(name, listener);
  });
}

/** Every `error` event's code, as they come (tests add their own listener to quiet stderr). */
export function errorCodes(client: LifecycleSource): string[] {
  const codes: string[] = [];
  client.on("error", (error) => codes.push(error.code));
  return codes;
}

/** Resolves with the next `error` event whose code is `code`. */
export function nextError(client: LifecycleSource, code: string): Promise<ClientError> {
  return new Promise((resolve) => {
    const listener = (error: ClientError) => {
      if (error.code !== code) return;
      client.off("error", listener);
      resolve(error);
    };
    client.on("error", listener);
  });
}

/** Resolves with the data of the first `count` calls of a broker listener for `event`. */
export function collect(broker: Broker, event: string, count: number): Promise<unknown[]> {
  return new Promise((resolve) => {
    const seen: unknown[] = [];
    const listener = (_client: unknown, data: unknown) => {
      seen.push(data);
      if (seen.length < count) return;
      broker.off(event, listener);
      resolve(seen);
    };
    broker.on(event, listener);
  });
}

/** The rejection of a promise that must reject (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClientError) return error;
    throw error;
  }
  throw new Error("Expected a rejection");
}
