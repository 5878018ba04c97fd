import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestRoute } from "../http-front.js";
import type { BrokerSnapshot } from "../inspect.js";
import { addressedByIp, fromLoopback, isAuthorized } from "./auth.js";
import type { Feed } from "./feed.js";
import type { MachineGraph } from "./graph.js";
import { APP_JS } from "./page/app.js";
import { INDEX_HTML } from "./page/html.js";
import { STYLE_CSS } from "./page/style.js";

/** Where the inspector is mounted. */
export const INSPECT_PATH = "/_inspect";

export interface InspectorRouteOptions {
  readonly token: string | undefined;
  readonly snapshot: () => BrokerSnapshot;
  readonly graphs: Readonly<Record<string, MachineGraph>>;
  readonly feed: Feed;
}

/**
 * The page loads only from the broker: no CDN, no inline script, nothing framed elsewhere. The
 * token may travel in the page's URL, so no referrer either.
 */
const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-store",
} as const;

type ErrorCode = "unauthorized" | "forbidden" | "not_found" | "method_not_allowed";

function send(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...PAGE_HEADERS,
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    ...headers,
  });
  response.end(request.method === "HEAD" ? undefined : body);
}

function sendJson(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  value: unknown,
  headers?: Record<string, string>,
): void {
  send(
    request,
    response,
    status,
    "application/json; charset=utf-8",
    JSON.stringify(value),
    headers,
  );
}

function fail(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): void {
  sendJson(request, response, status, { error: { code, message } }, headers);
}

/** Static assets: code only, no broker data, so they are served without the token. */
const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: string }>> = {
  "/app.js": { type: "text/javascript; charset=utf-8", body: APP_JS },
  "/style.css": { type: "text/css; charset=utf-8", body: STYLE_CSS },
};

/**
 * Serves the inspector under `/_inspect`: the page (`/`), its assets (`/app.js`, `/style.css`),
 * `broker.inspect()` as JSON (`/snapshot`), the machine graphs (`/machines`) and the live feed
 * (`/feed`, Server-Sent Events). With a token configured, everything but the assets answers 401
 * unless the request carries it (`Authorization: Bearer` or `?token=`).
 */
export function createInspectorRoute(options: InspectorRouteOptions): RequestRoute {
  return (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const { pathname } = url;
    if (pathname !== INSPECT_PATH && !pathname.startsWith(`${INSPECT_PATH}/`)) return false;
    const sub = pathname.slice(INSPECT_PATH.length) || "/";
    if (request.method !== "GET" && request.method !== "HEAD") {
      fail(request, response, 405, "method_not_allowed", "The inspector is read-only", {
        Allow: "GET, HEAD",
      });
      return true;
    }
    const asset = ASSETS[sub];
    if (asset) {
      send(request, response, 200, asset.type, asset.body, { "Cache-Control": "no-cache" });
      return true;
    }
    // Without a token, only this machine may look (as Redis's protected mode does) ...
    if (options.token === undefined && !fromLoopback(request.socket.remoteAddress)) {
      fail(
        request,
        response,
        403,
        "forbidden",
        "Without a token the inspector answers only requests from this machine (a loopback address); set inspector.token to reach it from elsewhere",
      );
      return true;
    }
    // ... and DNS rebinding is then the way in from a browser: only IP-addressed requests.
    if (options.token === undefined && !addressedByIp(request)) {
      fail(
        request,
        response,
        403,
        "forbidden",
        "Without a token the inspector answers only requests to an IP address or localhost (DNS rebinding guard); set inspector.token to reach it by name",
      );
      return true;
    }
    if (!isAuthorized(request, url, options.token)) {
      fail(request, response, 401, "unauthorized", "The inspector needs its token", {
        "WWW-Authenticate": 'Bearer realm="switchboard inspector"',
      });
      return true;
    }
    switch (sub) {
      case "/":
        send(request, response, 200, "text/html; charset=utf-8", INDEX_HTML);
        return true;
      case "/snapshot":
        sendJson(request, response, 200, options.snapshot());
        return true;
      case "/machines":
        sendJson(request, response, 200, options.graphs);
        return true;
      case "/feed":
        if (request.method === "HEAD") {
          send(request, response, 200, "text/event-stream; charset=utf-8", "");
          return true;
        }
        options.feed.open(request, response, lastEventId(request, url));
        return true;
      default:
        fail(request, response, 404, "not_found", `Nothing at ${pathname}`);
        return true;
    }
  };
}

/** `Last-Event-ID` (a reconnecting EventSource), or `?lastEventId=`. */
function lastEventId(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers["last-event-id"];
  return (
    (Array.isArray(header) ? header[0] : header) || url.searchParams.get("lastEventId") || undefined
  );
}
