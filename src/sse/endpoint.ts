import type { IncomingMessage, ServerResponse } from "node:http";
import type { AdmissionGate, AdmissionResult } from "../admission.js";
import { wireCode } from "../errors.js";
import type { RequestRoute } from "../http-front.js";
import { SseTransport } from "../transports/sse.js";
import { readBody } from "./read-body.js";

/** What the SSE endpoint needs from the broker. */
export interface SseBackend {
  /** A stream is open: make it a connection in room `channel`, replaying after `lastEventId`. */
  subscribe(
    transport: SseTransport,
    channel: string,
    lastEventId: string | undefined,
    data: object,
  ): void;
  /** Delivers `action` with `data` to every member of `channel`; undefined if it is unknown. */
  publish(
    channel: string,
    action: string,
    data: unknown,
  ): Promise<{ readonly delivered: number; readonly id?: string } | undefined>;
  /** Ends every SSE stream of `channel`; undefined if it is unknown. */
  closeChannel(channel: string): Promise<number | undefined>;
}

export interface SseEndpointOptions {
  /** Mount point, `/events`. */
  readonly path: string;
  /** The `retry:` a stream starts with: how long EventSource waits before reconnecting. */
  readonly retry: number;
  /** Action names a POST may use; undefined allows every valid name. */
  readonly actions: ReadonlySet<string> | undefined;
  readonly maxPayload: number;
  /** Origin, capacity, `authenticate` and `authorize`, passed before a stream opens or a post. */
  readonly gate: AdmissionGate;
}

/** Channel tokens: anything printable up to 200 characters, no slash (it separates the action). */
const CHANNEL = /^[^\s/\\\p{Cc}]{1,200}$/u;
/** Action names, per the issue: `[A-Za-z0-9_.:-]{1,64}`. */
const ACTION = /^[A-Za-z0-9_.:-]{1,64}$/;
/** The action that ends a channel's streams, as in the Python Event Source library. */
const CLOSE_ACTION = "close";

const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache",
  Connection: "keep-alive",
  // nginx buffers proxied responses unless told not to.
  "X-Accel-Buffering": "no",
} as const;

type ErrorCode =
  | ReturnType<typeof wireCode>
  | "bad_request"
  | "not_found"
  | "method_not_allowed"
  | "not_acceptable"
  | "payload_too_large";

function answer(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function fail(
  response: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): void {
  answer(response, status, { error: { code, message } }, headers);
}

/** `text/event-stream`, `*\/*`, `text/*` or no Accept at all (curl sends `*\/*`). */
function acceptsEventStream(request: IncomingMessage): boolean {
  const accept = request.headers.accept;
  if (!accept) return true;
  return /(^|,)\s*(text\/event-stream|text\/\*|\*\/\*)\s*(;|,|$)/i.test(accept);
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The HTTP side of Server-Sent Events: `GET <path>/:channel` opens a stream, `POST
 * <path>/:channel/:action` publishes to the channel's room. Statuses: 202 delivered, 400 bad
 * channel/action/JSON, 404 unknown channel, 405 disallowed action or method, 406 a client that
 * does not accept event streams, 413 a body over `maxPayload`.
 */
export function createSseRoute(options: SseEndpointOptions, backend: SseBackend): RequestRoute {
  const prefix = `${options.path}/`;
  return (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith(prefix)) return false;
    const segments = url.pathname.slice(prefix.length).split("/").map(decodeSegment);
    const [channel, action] = segments;
    if (channel === undefined || !CHANNEL.test(channel) || segments.length > 2) {
      fail(response, 400, "bad_request", "Invalid channel: expected /events/<channel>[/<action>]");
      return true;
    }
    if (segments.length === 1) {
      if (request.method !== "GET" && request.method !== "HEAD") {
        fail(response, 405, "method_not_allowed", "Streams are opened with GET", { Allow: "GET" });
      } else if (!acceptsEventStream(request)) {
        fail(response, 406, "not_acceptable", "This endpoint only serves text/event-stream");
      } else {
        const action = { type: "join", room: channel } as const;
        options.gate.admit(request, { counted: true, action }, (result) => {
          if (result.ok) openStream(request, response, channel, url, options, backend, result.data);
          else refuse(response, result);
        });
      }
      return true;
    }
    if (request.method !== "POST") {
      fail(response, 405, "method_not_allowed", "Actions are posted", { Allow: "POST" });
      return true;
    }
    if (action === undefined || !ACTION.test(action)) {
      fail(response, 400, "bad_request", "Invalid action: expected [A-Za-z0-9_.:-]{1,64}");
      return true;
    }
    if (options.actions && action !== CLOSE_ACTION && !options.actions.has(action)) {
      fail(response, 405, "method_not_allowed", `Action "${action}" is not allowed`);
      return true;
    }
    // Checked before the body is read: a refused caller costs no buffering.
    options.gate.admit(
      request,
      { counted: false, action: { type: "post", channel, action } },
      (result) => {
        if (result.ok) void publish(request, response, channel, action, options, backend);
        else refuse(response, result);
      },
    );
    return true;
  };
}

/** Answers a request the admission gate turned down; nothing was opened for it. */
function refuse(response: ServerResponse, result: AdmissionResult & { ok: false }): void {
  // The peer may have gone while a slow `authenticate` ran.
  if (response.destroyed) return;
  // A POST body left unread must not keep the connection for the next request.
  fail(response, result.status, wireCode(result.code), result.message, { Connection: "close" });
}

function openStream(
  request: IncomingMessage,
  response: ServerResponse,
  channel: string,
  url: URL,
  options: SseEndpointOptions,
  backend: SseBackend,
  data: object,
): void {
  // The peer may have gone while a slow `authenticate` ran.
  if (response.destroyed) return;
  if (request.method === "HEAD") {
    // The headers a stream would get, and no listener.
    response.writeHead(200, SSE_HEADERS);
    response.end();
    return;
  }
  const header = request.headers["last-event-id"];
  // An empty id is the same as none (EventSource sends none before it has seen an id).
  const lastEventId =
    (Array.isArray(header) ? header[0] : header) ||
    url.searchParams.get("lastEventId") ||
    undefined;
  request.socket.setNoDelay(true);
  request.socket.setKeepAlive(true);
  response.writeHead(200, SSE_HEADERS);
  response.write(`retry: ${options.retry}\n\n`);
  backend.subscribe(
    new SseTransport(response, request.socket.remoteAddress ?? ""),
    channel,
    lastEventId,
    data,
  );
}

async function publish(
  request: IncomingMessage,
  response: ServerResponse,
  channel: string,
  action: string,
  options: SseEndpointOptions,
  backend: SseBackend,
): Promise<void> {
  const body = await readBody(request, options.maxPayload);
  if (!body.ok) {
    fail(response, 413, "payload_too_large", `Body over maxPayload (${options.maxPayload} bytes)`, {
      Connection: "close",
    });
    return;
  }
  let data: unknown = body.text;
  if (/^application\/json\b/i.test(request.headers["content-type"] ?? "")) {
    try {
      data = body.text === "" ? undefined : JSON.parse(body.text);
    } catch (error) {
      fail(response, 400, "bad_request", `Invalid JSON body: ${(error as Error).message}`);
      return;
    }
  }
  if (action === CLOSE_ACTION) {
    const closed = await backend.closeChannel(channel);
    if (closed === undefined) fail(response, 404, "not_found", `Unknown channel "${channel}"`);
    else answer(response, 202, { delivered: closed });
    return;
  }
  const result = await backend.publish(channel, action, data);
  if (!result) fail(response, 404, "not_found", `Unknown channel "${channel}"`);
  else answer(response, 202, result);
}
