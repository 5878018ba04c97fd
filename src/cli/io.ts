/** Writes one line to stdout or stderr. */
export function printLine(stream: NodeJS.WritableStream, line: string): void {
  stream.write(`${line}\n`);
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * Resolves with the first SIGINT or SIGTERM. Both handlers are removed when it comes, so a
 * second signal (a second Ctrl-C during a drain) gets Node's default: the process quits at once.
 */
export function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handlers = SIGNALS.map((signal) => {
      const handler = () => {
        for (const [name, registered] of handlers) process.off(name, registered);
        resolve(signal);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
  });
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
