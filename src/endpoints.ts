import type { Actor } from "xstate";
import type { supervisorMachine } from "../actors/supervisor.js";
import type { Codec } from "../protocols/codec.js";
import { json } from "../protocols/json.js";
import type { AdmissionGate } from "./admission.js";
import type { AuthSessions } from "./auth-session.js";
import { createClientAssetsRoute } from "./client-assets.js";
import { CloseCode } from "./constants.js";
import { type BrokerError, internalFailure } from "./errors.js";
import { HttpFront, type RequestRoute } from "./http-front.js";
import type { ResolvedOptions } from "./options.js";
import { createSseBackend } from "./sse/backend.js";
import { createSseRoute } from "./sse/endpoint.js";
import type { Transport } from "./transport.js";
import { createTcpEndpoint, type TcpEndpoint } from "./transports/tcp-endpoint.js";
import {
  createWebSocketEndpoint,
  type WebSocketEndpoint,
} from "./transports/websocket-endpoint.js";

/** An SSE listener's admission: its channel's room, and where to resume from. */
export interface StreamAdmission {
  readonly rooms: readonly string[];
  readonly resumeFrom: string | undefined;
}

/** Hands a transport that is up to the broker, which creates its connection actor. */
export type AcceptConnection = (
  transport: Transport,
  codec: Codec,
  stream?: StreamAdmission,
  data?: object,
) => void;

export interface EndpointSettings {
  readonly options: ResolvedOptions;
  readonly gate: AdmissionGate;
  /** Present with `authenticate`: TCP clients authenticate with their first frame. */
  readonly auth: AuthSessions | undefined;
  readonly supervisor: Actor<typeof supervisorMachine>;
  readonly clustered: boolean;
  /** The inspector's routes, when it is on. */
  readonly inspectorRoute: RequestRoute | undefined;
  readonly accept: AcceptConnection;
  readonly report: (error: BrokerError) => void;
}

export interface Endpoints {
  readonly http: HttpFront;
  readonly websocket: WebSocketEndpoint;
  readonly tcp: TcpEndpoint | undefined;
}

/**
 * Every way in: the HTTP front (WebSocket upgrades on `path`, SSE under `sse.path`, the
 * inspector, the client assets, 426 for a plain GET on the WebSocket path) and the raw TCP
 * endpoint. Each hands the transports it accepts to `accept`; none creates actors itself.
 */
export function createEndpoints(settings: EndpointSettings): Endpoints {
  const { options, gate, accept } = settings;
  const http = new HttpFront(options.server, {
    headersTimeout: options.headersTimeout,
    onError: (error) => settings.report(internalFailure("HTTP route failed", error)),
  });
  const websocket = createWebSocketEndpoint({
    path: options.path,
    maxPayload: options.maxPayload,
    defaultCodec: options.protocol,
    codecs: options.codecs,
    gate,
    accept: (transport, codec, data) => accept(transport, codec, undefined, data),
  });
  if (settings.inspectorRoute) http.addRequestRoute(settings.inspectorRoute);
  http.addRequestRoute(createClientAssetsRoute());
  const sse = options.sse;
  if (sse) {
    const histories = settings.supervisor.getSnapshot().context.channels?.histories;
    const backend = createSseBackend(
      settings.supervisor,
      histories,
      (transport, channel, lastEventId, data) =>
        accept(transport, sse.codec, { rooms: [channel], resumeFrom: lastEventId }, data),
      settings.clustered,
    );
    const { path, retry, actions } = sse;
    const route = createSseRoute(
      { path, retry, actions, maxPayload: options.maxPayload, gate },
      backend,
    );
    http.addRequestRoute(route);
  }
  http.addUpgradeRoute((request, socket, head) => websocket.handleUpgrade(request, socket, head));
  http.addRequestRoute((request, response) => {
    if (new URL(request.url ?? "/", "http://localhost").pathname !== options.path) return false;
    response.writeHead(426, { Upgrade: "websocket", "Content-Type": "text/plain; charset=utf-8" });
    response.end("This endpoint speaks WebSocket only\n");
    return true;
  });
  return { http, websocket, tcp: createTcp(settings) };
}

/** The raw TCP endpoint, when the `tcp` option is on; it speaks the JSON codec only. */
function createTcp(settings: EndpointSettings): TcpEndpoint | undefined {
  const { options, gate, auth, accept } = settings;
  const tcp = options.tcp;
  if (!tcp) return undefined;
  const codec = json();
  return createTcpEndpoint({
    port: tcp.port,
    host: tcp.host,
    maxPayload: options.maxPayload,
    closeTimeout: options.closeTimeout,
    closeGrace: options.closeTimeout,
    accept: (transport) => {
      // TCP has no HTTP answer to refuse with: the close line says why, then FIN.
      if (gate.full()) transport.close(CloseCode.TRY_AGAIN_LATER, "too many connections");
      else if (!auth) accept(transport, codec);
      // No HTTP request carries credentials: the first frame must (an `auth` frame).
      else
        void auth.admitTcp(transport, codec, gate, (data) =>
          accept(transport, codec, undefined, data),
        );
    },
    onError: (error) => settings.report(internalFailure("TCP endpoint failed", error)),
  });
}
