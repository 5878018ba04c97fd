import { fromCallback } from "xstate";

export type TimerKind = "interval" | "timeout";

export interface TimerInput {
  readonly timerId: string;
  readonly kind: TimerKind;
  readonly ms: number;
  /** May return a promise; a rejection is reported like a throw. */
  readonly callback: () => unknown;
  /** Called with whatever the callback threw; the timer keeps running (intervals). */
  readonly onError: (error: unknown) => void;
}

/** Told to the supervisor when a one-shot timer has fired, so it can stop the child. */
export interface TimerFiredEvent {
  readonly type: "timer.fired";
  readonly timerId: string;
}

/**
 * A server timer (`broker.setInterval` / `broker.setTimeout`) as a child actor of the supervisor,
 * so timers show up in inspection and stop with it. The cleanup clears the Node timer.
 */
export const timerLogic = fromCallback<{ type: "timer.noop" }, TimerInput>(
  ({ input, sendBack }) => {
    const run = () => {
      try {
        const result = input.callback();
        if (result instanceof Promise) result.catch(input.onError);
      } catch (error) {
        input.onError(error);
      }
    };
    if (input.kind === "interval") {
      const handle = setInterval(run, input.ms);
      return () => clearInterval(handle);
    }
    const handle = setTimeout(() => {
      run();
      sendBack({ type: "timer.fired", timerId: input.timerId } satisfies TimerFiredEvent);
    }, input.ms);
    return () => clearTimeout(handle);
  },
);
