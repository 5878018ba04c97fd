import { describe, expect, it } from "vitest";
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from "../../src/cli/shutdown.js";
import { runCli } from "./cli-process.js";

describe("switchboard usage", () => {
  it.each([["--help"], ["-h"], ["help"]])("prints the commands on stdout for %s", async (flag) => {
    const result = await runCli([flag]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^usage: switchboard <command> \[options\]\n/);
    for (const command of ["listen", "client", "request"]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
  });

  it.each([
    ["listen", "[-h] [-H HOST] [-P PORT] [-d] [-j] [-k KEEPALIVE] [-i]"],
    ["client", "[-h] [-H HOST] [-P PORT] [-d] [-r RETRY] token"],
    ["request", "[-h] [-H HOST] [-P PORT] [-j] token action [data]"],
  ])("prints %s's usage on stdout for --help and -h, and exits 0", async (command, synopsis) => {
    for (const flag of ["--help", "-h"]) {
      const result = await runCli([command, flag]);
      expect(result).toMatchObject({ code: 0, stderr: "" });
      expect(result.stdout.startsWith(`usage: switchboard ${command} ${synopsis}`)).toBe(true);
      expect(result.stdout).toMatch(/^ {2}-h, --help +show this help message and exit$/m);
    }
  });

  it.each([
    [["listen", "--bogus"], "Unknown option '--bogus'"],
    [["listen", "-x"], "Unknown option '-x'"],
    [["client", "news", "--bogus"], "Unknown option '--bogus'"],
    [["request", "news", "update", "-z"], "Unknown option '-z'"],
    [["listen", "-P"], "argument missing"],
    [["listen", "--debug=yes"], "does not take an argument"],
  ])("refuses %j with its usage on stderr and exit 2", async (args, why) => {
    const [command] = args;
    const result = await runCli(args);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(`switchboard ${command}: `);
    expect(result.stderr).toContain(why);
    expect(result.stderr).toContain(`\n\nusage: switchboard ${command} `);
  });

  it.each([
    [["client"], "Missing argument: token"],
    [["request"], "Missing argument: token, action"],
    [["request", "news"], "Missing argument: action"],
    [["client", "news", "extra"], "Unexpected argument: extra"],
    [["request", "news", "update", "data", "more"], "Unexpected argument: more"],
    [["listen", "stray"], "Unexpected argument: stray"],
  ])("refuses the positionals of %j with usage and exit 2", async (args, why) => {
    const result = await runCli(args);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(why);
    expect(result.stderr).toContain(`usage: switchboard ${args[0]} `);
  });

  it.each([
    [["listen", "-P", "70000"], "Invalid port"],
    [["listen", "-P", "eighty"], "Invalid port"],
    [["listen", "-k", "0"], "Invalid keepalive"],
    [["listen", "--protocol", "xml"], "Invalid protocol"],
    [["listen", "--shutdown-timeout", "0"], "Invalid shutdown-timeout"],
    [["listen", "--shutdown-timeout", "5s"], "Invalid shutdown-timeout"],
    [["listen", "--tcp", "65536"], "Invalid tcp"],
    [["client", "news", "-r", "soon"], "Invalid retry"],
    [["request", "news", "update", "-P", "1.5"], "Invalid port"],
  ])("refuses the value in %j with usage and exit 2", async (args, why) => {
    const result = await runCli(args);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(why);
    expect(result.stderr).toContain(`usage: switchboard ${args[0]} `);
  });

  it("documents listen's --tcp and --shutdown-timeout, with the default the code uses", async () => {
    const { stdout } = await runCli(["listen", "--help"]);
    expect(stdout).toMatch(/^ {2}--tcp PORT {12}\S/m);
    expect(stdout).toMatch(/^ {2}--shutdown-timeout MS \S/m);
    expect(stdout).toContain(
      `(default ${DEFAULT_SHUTDOWN_TIMEOUT_MS}); past it the process exits 0`,
    );
  });

  it("refuses an unknown command, or none, with the main usage and exit 2", async () => {
    const unknown = await runCli(["serve"]);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toMatch(
      /^switchboard: unknown command "serve"\n\nusage: switchboard <command>/,
    );
    const none = await runCli([]);
    expect(none).toMatchObject({ code: 2, stdout: "" });
    expect(none.stderr).toMatch(/^switchboard: missing command\n\nusage: switchboard <command>/);
  });
});
