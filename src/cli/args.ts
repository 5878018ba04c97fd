import { type ParseArgsConfig, parseArgs } from "node:util";
import { Defaults } from "../index.js";
import { messageOf } from "./io.js";
import { UsageError } from "./usage.js";

/** The flag declarations `util.parseArgs` takes. */
export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** What every command parses: its own flags and positionals, unknown flags refused. */
interface StrictConfig<TOptions extends OptionsConfig> {
  args: string[];
  options: TOptions;
  allowPositionals: true;
  strict: true;
}

/** The flags every command shares: `-h`, `-H HOST`, `-P PORT`. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
  host: { type: "string", short: "H", default: Defaults.host },
  port: { type: "string", short: "P", default: String(Defaults.port) },
} as const satisfies OptionsConfig;

/**
 * Parses a command's arguments strictly: an unknown flag, a flag missing its value or a value
 * given to a boolean flag is a `UsageError` (usage on stderr, exit 2).
 */
export function parseCommand<const TOptions extends OptionsConfig>(
  args: readonly string[],
  options: TOptions,
  usage: string,
): ReturnType<typeof parseArgs<StrictConfig<TOptions>>> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(messageOf(error), usage);
  }
}

/** The longest delay a Node timer takes (2^31 - 1 ms); a longer one fires at once. */
const MAX_DELAY_MS = 2_147_483_647;

/** A whole number in `[min, max]` (by default a usable timer delay), or a `UsageError`. */
export function integerOption(
  flag: string,
  value: string,
  usage: string,
  min = 0,
  max = MAX_DELAY_MS,
): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`Invalid ${flag}: expected a whole number from ${min} to ${max}`, usage);
  }
  return number;
}

/** The `-P` port: 0 to 65535. */
export function portOption(value: string, usage: string): number {
  return integerOption("port", value, usage, 0, 65_535);
}

/** The positionals: at least `required`, at most one per name; else a `UsageError`. */
export function positionalArgs(
  positionals: readonly string[],
  names: readonly string[],
  required: number,
  usage: string,
): readonly string[] {
  if (positionals.length < required) {
    const missing = names.slice(positionals.length, required).join(", ");
    throw new UsageError(`Missing argument: ${missing}`, usage);
  }
  if (positionals.length > names.length) {
    const extra = positionals.slice(names.length).join(" ");
    throw new UsageError(`Unexpected argument: ${extra}`, usage);
  }
  return positionals;
}

/** `host:port` as a URL authority: IPv6 addresses go in brackets. */
export function authority(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
