import type { Actor } from "xstate";
import type { DeliveryReport, supervisorMachine } from "../../actors/supervisor.js";
import type { ResolvedSse } from "../options.js";
import type { SseTransport } from "../transports/sse.js";
import type { SseBackend } from "./endpoint.js";
import type { ChannelHistories } from "./history.js";

/** How the broker admits a stream: as a connection in its channel's room, resuming if asked. */
export type AdmitStream = (
  transport: SseTransport,
  channel: string,
  lastEventId: string | undefined,
  data: object,
) => void;

/**
 * The broker side of the SSE endpoint: streams become connection actors in their channel's
 * room; POSTs become named-event broadcasts to that room, whatever the members' transports.
 * With a clustered adapter (`clustered`), a channel unknown here may have members on other
 * nodes: posts to it are accepted (delivered to 0 here) and published, never refused with 404.
 */
export function createSseBackend(
  supervisor: Actor<typeof supervisorMachine>,
  histories: ChannelHistories | undefined,
  admit: AdmitStream,
  clustered = false,
): SseBackend {
  /** A channel exists while it has members or history still within its bounds. */
  const isKnown = (channel: string): boolean => {
    if (supervisor.getSnapshot().context.registry.rooms.has(channel)) return true;
    const now = Date.now();
    histories?.forgetIfEmpty(channel, now);
    return histories?.get(channel) !== undefined;
  };
  return {
    subscribe: admit,
    publish(channel, action, data) {
      // No history for a channel known only elsewhere: posts must not create one per name.
      if (isKnown(channel)) histories?.getOrCreate(channel);
      else if (!clustered) return Promise.resolve(undefined);
      return new Promise<DeliveryReport>((resolve) =>
        supervisor.send({
          type: "broadcast",
          room: channel,
          event: action,
          payload: data,
          report: resolve,
        }),
      );
    },
    closeChannel(channel) {
      if (!isKnown(channel) && !clustered) return Promise.resolve(undefined);
      return new Promise<number>((resolve) =>
        supervisor.send({ type: "channel.close", room: channel, report: resolve }),
      );
    },
  };
}

export type { ResolvedSse };
