import type { Adapter, AdapterStats } from "./adapter.js";

const STATS: AdapterStats = { published: 0, received: 0, lost: 0, connected: true };

/**
 * The default adapter: one broker process, no other nodes. It publishes nothing (there is no
 * one to tell), so ids and channels unknown here are refused as unknown.
 *
 * @example
 * createBroker({ adapter: memoryAdapter() }); // the same as no adapter at all
 */
export function memoryAdapter(): Adapter {
  return {
    clustered: false,
    start: () => Promise.resolve(),
    // Nothing leaves the process, and nothing is lost: there are no other nodes.
    publish: () => true,
    stats: () => STATS,
    close: () => Promise.resolve(),
  };
}
