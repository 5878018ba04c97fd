import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Codec } from "../../protocols/codec.js";
import type { AdmissionGate } from "../admission.js";
import { SUBPROTOCOL_PREFIX } from "../constants.js";
import type { Transport } from "../transport.js";
import { rejectUpgrade } from "./reject-upgrade.js";
import { WebSocketTransport } from "./websocket.js";

export interface WebSocketEndpointOptions {
  readonly path: string;
  readonly maxPayload: number;
  readonly defaultCodec: Codec;
  readonly codecs: ReadonlyMap<string, Codec>;
  /** Origin, capacity and authentication checks, passed before the handshake. */
  readonly gate: AdmissionGate;
  /** Takes an upgraded socket; `data` is what `authenticate` answered (`{}` without it). */
  readonly accept: (transport: Transport, codec: Codec, data: object) => void;
}

export interface WebSocketEndpoint {
  /** Handles an upgrade on the endpoint's path; returns false for any other path. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/** The codec a client offered by subprotocol (`switchboard.json`), if any is known. */
function codecFromSubprotocols(
  offered: ReadonlySet<string>,
  codecs: ReadonlyMap<string, Codec>,
): Codec | undefined {
  for (const protocol of offered) {
    if (!protocol.startsWith(SUBPROTOCOL_PREFIX)) continue;
    const codec = codecs.get(protocol.slice(SUBPROTOCOL_PREFIX.length));
    if (codec) return codec;
  }
  return undefined;
}

/**
 * The WebSocket endpoint: the upgrade handshake on `path`, codec negotiation (subprotocol first,
 * then `?protocol=`, then the default) and the hand-over of each socket as a `Transport`.
 */
export function createWebSocketEndpoint(options: WebSocketEndpointOptions): WebSocketEndpoint {
  const { path, codecs, defaultCodec } = options;
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload,
    // Compression trades CPU and memory (and compression-bomb risk) for bandwidth; off.
    perMessageDeflate: false,
    // The supervisor's registry tracks clients; a second Set in ws would only cost memory.
    clientTracking: false,
    handleProtocols: (offered) => {
      const codec = codecFromSubprotocols(offered, codecs);
      return codec ? `${SUBPROTOCOL_PREFIX}${codec.name}` : false;
    },
  });

  return {
    handleUpgrade(request, socket, head) {
      const url = new URL(request.url ?? "/", "http://localhost");
      if (url.pathname !== path) return false;
      const offered = new Set(
        (request.headers["sec-websocket-protocol"] ?? "")
          .split(",")
          .map((protocol) => protocol.trim())
          .filter(Boolean),
      );
      const queried = url.searchParams.get("protocol");
      let codec = codecFromSubprotocols(offered, codecs);
      if (!codec && queried !== null) {
        codec = codecs.get(queried);
        if (!codec) {
          const known = [...codecs.keys()].join(", ");
          rejectUpgrade(socket, 400, `Unknown protocol "${queried}"; known: ${known}`);
          return true;
        }
      }
      const chosen = codec ?? defaultCodec;
      // Node drops its own error listener on upgraded sockets, and ws adds one only in
      // handleUpgrade: a reset while `authenticate` runs must not crash the process.
      const onError = () => socket.destroy();
      socket.on("error", onError);
      options.gate.admit(request, { counted: true }, (result) => {
        socket.off("error", onError);
        if (!result.ok) {
          // Refused before the handshake: no WebSocket, no actor.
          rejectUpgrade(socket, result.status, result.message);
          return;
        }
        // ws completes the handshake synchronously, so the gate's capacity check still holds.
        server.handleUpgrade(request, socket, head, (websocket) => {
          const address = request.socket.remoteAddress ?? "";
          options.accept(new WebSocketTransport(websocket, address), chosen, result.data);
        });
      });
      return true;
    },
  };
}
