import { afterEach } from "vitest";
import { type Broker, type BrokerOptions, createBroker } from "../../src/index.js";

const started: Broker[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((broker) => broker.close()));
});

/** A broker on 127.0.0.1, port 0, closed after each test. */
export async function startBroker(
  options: BrokerOptions = {},
): Promise<{ broker: Broker; url: string; port: number }> {
  const broker = createBroker({ port: 0, host: "127.0.0.1", ...options });
  started.push(broker);
  const { url, port } = await broker.listen();
  return { broker, url, port };
}

/** Resolves with the arguments of the next call of a listener registered on `broker`. */
export function nextEvent<T extends unknown[]>(broker: Broker, event: string): Promise<T> {
  return new Promise((resolve) => {
    const listener = (...args: unknown[]) => {
      broker.off(event, listener);
      resolve(args as T);
    };
    broker.on(event, listener);
  });
}
