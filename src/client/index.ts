/**
 * `switchboard/client`: connect to a switchboard broker from Node or a browser. One ESM entry;
 * the browser path loads no Node built-in (`ws` and `node:net` are imported only when needed:
 * no global `WebSocket`, or a `tcp://` URL).
 *
 * @example
 * import { connect } from "switchboard/client";
 *
 * const client = connect("ws://127.0.0.1:8899/ws");
 * client.on("open", () => client.send("chat", "hello"));
 * client.on("msg", (data) => console.log(data));
 */

export type { TokenOption } from "./auth.js";
export {
  type BackoffOptions,
  backoffCeiling,
  backoffDelay,
  type Jitter,
} from "./backoff.js";
export { Client, connect } from "./client.js";
export { ClientError, ClientErrorCode, type ClientErrorCodeValue } from "./errors.js";
export type { ClientProtocol } from "./frames.js";
export { ClientDefaults, type ConnectOptions, type ReconnectOptions } from "./options.js";
export type {
  ClientEvent,
  ClientState,
  CloseInfo,
  DataArgs,
  EventMap,
  EventName,
  LifecycleEvents,
  LifecycleName,
  NoReplies,
  ReconnectingInfo,
  ReplyMap,
  ReplyOf,
  RequestOptions,
} from "./types.js";
