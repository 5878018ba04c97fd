import { request as httpRequest } from "node:http";
import {
  authority,
  COMMON_OPTIONS,
  type OptionsConfig,
  parseCommand,
  portOption,
  positionalArgs,
} from "./args.js";
import { eventsUrl, readText, refusalOf } from "./http.js";
import { messageOf, printLine } from "./io.js";
import { REQUEST_USAGE } from "./usage.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  json: { type: "boolean", short: "j" },
} as const satisfies OptionsConfig;

/** How long the server may take to answer before the request is given up. */
const ANSWER_LIMIT_MS = 30_000;

export interface RequestSettings {
  readonly url: string;
  /** The body: the DATA argument, or nothing. */
  readonly data: string;
  readonly json: boolean;
}

/** `switchboard request`'s settings, `"help"` for `-h`, or a `UsageError`. */
export function parseRequest(args: readonly string[]): RequestSettings | "help" {
  const { values, positionals } = parseCommand(args, OPTIONS, REQUEST_USAGE);
  if (values.help) return "help";
  const [token = "", action = "", data = ""] = positionalArgs(
    positionals,
    ["token", "action", "data"],
    2,
    REQUEST_USAGE,
  );
  const port = portOption(values.port, REQUEST_USAGE);
  return {
    url: eventsUrl(`http://${authority(values.host, port)}`, token, action),
    data,
    json: values.json ?? false,
  };
}

/**
 * Posts one event and prints `delivered <count>`. Exit codes: 0 delivered (to no one
 * included), 1 refused by the server or unreachable, 2 invalid JSON data with `-j`.
 */
export async function request(args: readonly string[]): Promise<number> {
  const settings = parseRequest(args);
  if (settings === "help") {
    process.stdout.write(REQUEST_USAGE);
    return 0;
  }
  const fail = (line: string) => printLine(process.stderr, `switchboard request: ${line}`);
  if (settings.json && settings.data !== "") {
    try {
      JSON.parse(settings.data);
    } catch (error) {
      fail(`invalid JSON data: ${messageOf(error)}`);
      return 2;
    }
  }
  let answer: Answer;
  try {
    answer = await post(settings);
  } catch (error) {
    fail(`cannot reach ${settings.url}: ${messageOf(error)}`);
    return 1;
  }
  if (answer.status < 200 || answer.status > 299) {
    fail(`the server refused: ${refusalOf(answer.status, answer.body)}`);
    return 1;
  }
  const delivered = deliveredOf(answer.body);
  if (delivered === undefined) {
    fail(`unexpected answer (${answer.status}): ${answer.body}`);
    return 1;
  }
  printLine(process.stdout, `delivered ${delivered}`);
  return 0;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

function post(settings: RequestSettings): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(settings.data);
    const outgoing = httpRequest(
      settings.url,
      {
        method: "POST",
        agent: false,
        timeout: ANSWER_LIMIT_MS,
        headers: {
          "Content-Type": settings.json ? "application/json" : "text/plain; charset=utf-8",
          "Content-Length": body.length,
          Accept: "application/json",
        },
      },
      (response) => {
        readText(response).then(
          (text) => resolve({ status: response.statusCode ?? 0, body: text }),
          reject,
        );
      },
    );
    outgoing.on("timeout", () =>
      outgoing.destroy(new Error(`no answer within ${ANSWER_LIMIT_MS} ms`)),
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/** The `delivered` count of the broker's `{"delivered": n, "id"?: …}` answer. */
function deliveredOf(body: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "delivered" in parsed) {
      return typeof parsed.delivered === "number" ? parsed.delivered : undefined;
    }
  } catch {
    // Not the broker's answer.
  }
  return undefined;
}
