/**
 * The `switchboard` command (`bin/switchboard.js` runs this file): dispatches to `listen`,
 * `client` or `request`. Exit codes: 0 success, 1 failure, 2 a command line that cannot run.
 */
import { client } from "./client.js";
import { printLine } from "./io.js";
import { listen } from "./listen.js";
import { request } from "./request.js";
import { type CommandName, MAIN_USAGE, UsageError } from "./usage.js";

const COMMANDS: Readonly<Record<CommandName, (args: readonly string[]) => Promise<number>>> = {
  listen,
  client,
  request,
};

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** Runs one command line (without `node` and the script) and resolves with its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(MAIN_USAGE);
    return 0;
  }
  if (name === undefined || !isCommand(name)) {
    const why = name === undefined ? "missing command" : `unknown command "${name}"`;
    process.stderr.write(`switchboard: ${why}\n\n${MAIN_USAGE}`);
    return 2;
  }
  try {
    return await COMMANDS[name](args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`switchboard ${name}: ${error.message}\n\n${error.usage}`);
    return 2;
  }
}

/** How long a finished command may take to let go of its last handles before it is cut off. */
const EXIT_GRACE_MS = 2_000;

const code = await main(process.argv.slice(2)).catch((error: unknown) => {
  printLine(
    process.stderr,
    `switchboard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return 1;
});
process.exitCode = code;
// The process ends by itself once nothing is left running; this only guards against a stray
// handle keeping it alive (unref'd, so it never delays a clean exit).
setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
