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
  /**
   * At shutdown: answers every upgrade still waiting for the gate (`authenticate`) with 503 and
   * closes its socket. The HTTP server no longer owns an upgrade socket, so nothing else would
   * close it, and `server.close()` waits for every socket it ever accepted.
   */
  abortPending(): void;
}

/** ws's own default for `maxBufferedChunks`. */
const DEFAULT_MAX_BUFFERED_READS = 256 * 1024;

/**
 * The most TCP reads ws may hold for one incomplete frame. ws keeps each read as its own Buffer
 * (about 200 bytes of heap each) until the frame completes, and its default cap is 262 144 reads:
 * a client dribbling a frame one byte per packet would pin some 50 MiB per connection. A real
 * client's frame arrives in reads of a packet or more (>= 536 bytes), so maxPayload / 256 reads
 * leave room for twice that fragmentation while bounding the overhead near maxPayload. Over it
 * ws closes with 1008. maxPayload 0 (no limit) keeps ws's own cap.
 */
function maxBufferedReads(maxPayload: number): number {
  if (!(maxPayload > 0 && Number.isFinite(maxPayload))) return DEFAULT_MAX_BUFFERED_READS;
  return Math.min(DEFAULT_MAX_BUFFERED_READS, Math.max(256, Math.ceil(maxPayload / 256)));
}

/** A `Sec-WebSocket-Key` as ws accepts it: 16 bytes in base64. */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

interface HandshakeProblem {
  readonly status: 400 | 405;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * What ws would refuse this handshake for (same status, same message), found before the gate:
 * a malformed request must not cost an `authenticate` call (a token check, a database lookup),
 * nor be answered 401 when it could never have been a WebSocket.
 */
function handshakeProblem(request: IncomingMessage): HandshakeProblem | undefined {
  if (request.method !== "GET") {
    return { status: 405, message: "Invalid HTTP method", headers: { Allow: "GET" } };
  }
  if (request.headers.upgrade?.toLowerCase() !== "websocket") {
    return { status: 400, message: "Invalid Upgrade header" };
  }
  const key = request.headers["sec-websocket-key"];
  if (key === undefined || !WEBSOCKET_KEY.test(key)) {
    return { status: 400, message: "Missing or invalid Sec-WebSocket-Key header" };
  }
  const version = Number(request.headers["sec-websocket-version"]);
  if (version !== 13 && version !== 8) {
    return {
      status: 400,
      message: "Missing or invalid Sec-WebSocket-Version header",
      headers: { "Sec-WebSocket-Version": "13, 8" },
    };
  }
  return undefined;
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
    maxBufferedChunks: maxBufferedReads(options.maxPayload),
    // Compression trades CPU and memory (and compression-bomb risk) for bandwidth; off.
    perMessageDeflate: false,
    // The supervisor's registry tracks clients; a second Set in ws would only cost memory.
    clientTracking: false,
    handleProtocols: (offered) => {
      const codec = codecFromSubprotocols(offered, codecs);
      return codec ? `${SUBPROTOCOL_PREFIX}${codec.name}` : false;
    },
  });

  /** Upgrade sockets between `gate.admit` and its answer. */
  const pending = new Set<Duplex>();

  return {
    abortPending() {
      for (const socket of pending) rejectUpgrade(socket, 503, "Server shutting down");
      pending.clear();
    },
    handleUpgrade(request, socket, head) {
      const url = new URL(request.url ?? "/", "http://localhost");
      if (url.pathname !== path) return false;
      const problem = handshakeProblem(request);
      if (problem) {
        rejectUpgrade(socket, problem.status, problem.message, problem.headers);
        return true;
      }
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
      pending.add(socket);
      options.gate.admit(request, { counted: true }, (result) => {
        socket.off("error", onError);
        // Answered at shutdown already (abortPending): nothing more to say on this socket.
        if (!pending.delete(socket)) return;
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
