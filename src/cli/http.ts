import { type IncomingMessage, STATUS_CODES } from "node:http";

/** Reads a whole response body as UTF-8 text. */
export function readText(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      text += chunk;
    });
    response.once("end", () => resolve(text));
    response.once("error", reject);
  });
}

/**
 * What a refusal says: the `message` of the broker's `{"error":{"code","message"}}` body, else
 * the body's text, else the status text; prefixed by the status, e.g.
 * `404 Unknown channel "news"`.
 */
export function refusalOf(status: number, body: string): string {
  let message = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      const error: unknown = parsed.error;
      if (typeof error === "object" && error !== null && "message" in error) {
        if (typeof error.message === "string") message = error.message;
      }
    }
  } catch {
    // Not JSON: the text itself is the message.
  }
  return `${status} ${message || (STATUS_CODES[status] ?? "")}`.trim();
}

/** `/events/<token>[/<action>]` under `base`, each segment escaped. */
export function eventsUrl(base: string, ...segments: readonly string[]): string {
  return `${base}/events/${segments.map(encodeURIComponent).join("/")}`;
}
