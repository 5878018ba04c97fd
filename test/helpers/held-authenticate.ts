import type { Authenticate, AuthRequest, AuthResult } from "../../src/index.js";

/** One `authenticate` call the test has not answered yet. */
export interface HeldCall {
  readonly request: AuthRequest;
  /** Settles the call with what `authenticate` answers (`false`: refused with 401). */
  answer(result: AuthResult): void;
  /** Settles the call with a rejection (the broker answers 500). */
  fail(error: Error): void;
}

/** An `authenticate` that decides nothing until the test answers each call (a slow lookup). */
export interface HeldAuthenticate {
  readonly authenticate: Authenticate;
  /** How many times the broker has called `authenticate` so far. */
  calls(): number;
  /** The next call not yet taken, in the order the broker made them; rejects after `limitMs`. */
  next(limitMs?: number): Promise<HeldCall>;
  /**
   * Answers `false` to every call still unanswered. For cleanup after a failed test: settles every
   * lookup it left pending.
   */
  refuseAll(): void;
}

export function heldAuthenticate(): HeldAuthenticate {
  const unclaimed: HeldCall[] = [];
  const waiters: Array<(call: HeldCall) => void> = [];
  const unanswered = new Set<HeldCall>();
  let calls = 0;
  const authenticate: Authenticate = (request) =>
    new Promise<AuthResult>((resolve, reject) => {
      calls += 1;
      const call: HeldCall = {
        request,
        answer: (result) => {
          unanswered.delete(call);
          resolve(result);
        },
        fail: (error) => {
          unanswered.delete(call);
          reject(error);
        },
      };
      unanswered.add(call);
      const waiter = waiters.shift();
      if (waiter) waiter(call);
      else unclaimed.push(call);
    });
  return {
    authenticate,
    calls: () => calls,
    next: (limitMs = 5_000) =>
      new Promise<HeldCall>((resolve, reject) => {
        const call = unclaimed.shift();
        if (call) {
          resolve(call);
          return;
        }
        const waiter = (held: HeldCall) => {
          clearTimeout(timer);
          resolve(held);
        };
        // A bound on a hang (the broker never called authenticate), not a pace.
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`No authenticate call within ${limitMs} ms`));
        }, limitMs);
        waiters.push(waiter);
      }),
    refuseAll: () => {
      for (const call of [...unanswered]) call.answer(false);
    },
  };
}
