import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RequestRoute } from "./http-front.js";

/** Where the browser client is served. */
export const CLIENT_PREFIX = "/_switchboard/";

/** The entry a page imports: `import { connect } from "/_switchboard/client.js"`. */
const ENTRY = 'export * from "./src/client/index.js";\n';

/** Compiled folders the client's modules live in, by their path under the prefix. */
const FOLDERS = ["src/client/", "protocols/"] as const;
const MODULE_NAME = /^[a-z0-9-]+\.js$/;

/**
 * The compiled package root (`dist/`): beside this file when running compiled, or the project's
 * `dist/` when running the TypeScript sources (tsx), which `npm install` builds.
 */
function compiledRoot(): string {
  const here = fileURLToPath(import.meta.url);
  const sourceRun = here.endsWith(".ts");
  return sourceRun ? join(dirname(here), "..", "dist") : join(dirname(here), "..");
}

/**
 * Serves the browser build of `switchboard/client` as plain ES modules, so a page needs no
 * bundler. Only `.js` files of the client's own folders are reachable: no path traversal.
 */
export function createClientAssetsRoute(): RequestRoute {
  const root = compiledRoot();
  return (request, response) => {
    const { pathname } = new URL(request.url ?? "/", "http://localhost");
    if (!pathname.startsWith(CLIENT_PREFIX)) return false;
    const path = pathname.slice(CLIENT_PREFIX.length);
    const send = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      response.writeHead(status, { "Content-Type": type, "Cache-Control": "no-cache" });
      response.end(request.method === "HEAD" ? undefined : body);
    };
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(405, "Method not allowed\n");
      return true;
    }
    if (path === "client.js") {
      send(200, ENTRY, "text/javascript; charset=utf-8");
      return true;
    }
    const folder = FOLDERS.find((candidate) => path.startsWith(candidate));
    const name = folder ? path.slice(folder.length) : "";
    if (!folder || !MODULE_NAME.test(name)) {
      send(404, "Not found\n");
      return true;
    }
    readFile(join(root, folder, name), "utf8").then(
      (source) => send(200, source, "text/javascript; charset=utf-8"),
      () => send(404, "Not found (is the package built? npm run build)\n"),
    );
    return true;
  };
}
