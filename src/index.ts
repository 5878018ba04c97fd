/**
 * switchboard: an actor-model realtime message broker. This file is the only public surface.
 *
 * @example
 * import { createBroker, ServerEvent } from "switchboard";
 *
 * const broker = createBroker({ port: 8899 });
 * broker.on(ServerEvent.MESSAGE, (client, data) => broker.whisper(client.id, data));
 * await broker.listen();
 */

export type {
  AckOutcome,
  Codec,
  CodecFailure,
  DecodeResult,
  InboundMessage,
} from "../protocols/codec.js";
export {
  type EventSourceCodec,
  type EventSourceOptions,
  eventSource,
} from "../protocols/event-source.js";
export { json } from "../protocols/json.js";
export { separator } from "../protocols/separator.js";
export {
  type Authenticate,
  type Authorize,
  type AuthorizeAction,
  type AuthorizeCaller,
  type AuthRequest,
  type AuthResult,
  ExpiringAuth,
  withExpiry,
} from "./admission.js";
export {
  type BroadcastOptions,
  Broker,
  type BrokerAddress,
  type BrokerStats,
  createBroker,
  type FetchOptions,
  type TimerId,
} from "./broker.js";
export { type ClientData, ClientHandle } from "./client-handle.js";
export type { Adapter, AdapterNode, AdapterStats } from "./cluster/adapter.js";
export { memoryAdapter } from "./cluster/memory.js";
export {
  CLUSTER_PROTOCOL_VERSION,
  type ClusterClient,
  type ClusterCommand,
  type ClusterMessage,
  decodeClusterMessage,
  encodeClusterMessage,
  type PresenceAction,
} from "./cluster/messages.js";
export type { PresenceEvent } from "./cluster/presence.js";
export { type RedisAdapterOptions, redisAdapter } from "./cluster/redis.js";
export { CloseCode, Defaults, RESERVED_EVENT_NAMES } from "./constants.js";
export { BrokerError, ErrorCode, type ErrorCodeValue } from "./errors.js";
export type { BrokerSnapshot, ConnectionView } from "./inspect.js";
export {
  type DisconnectInfo,
  type EventListener,
  type LifecycleListeners,
  type ListenerFor,
  ServerEvent,
  type ServerEventName,
  type SlowInfo,
} from "./listeners.js";
export type { BrokerOptions, InspectionObserver, SseOptions } from "./options.js";
export type { BrokerEvent, PumpResult } from "./pull.js";
export type { RateLimitOptions } from "./rate-limit.js";
export type { EventIdFunction, HistoryLimits } from "./sse/history.js";
export type { Transport, TransportKind } from "./transport.js";
