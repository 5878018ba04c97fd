import { describe, expect, it, vi } from "vitest";
import { ErrorCode } from "../../src/errors.js";
import { startSupervisor, useFakeClock } from "./supervisor-harness.js";

useFakeClock();

describe("supervisorMachine", () => {
  describe("timers", () => {
    it("runs an interval as a child actor until timer.clear", () => {
      const { supervisor } = startSupervisor();
      const callback = vi.fn();
      supervisor.send({ type: "timer.set", timerId: "t1", kind: "interval", ms: 1_000, callback });
      expect(supervisor.getSnapshot().children.t1).toBeDefined();
      expect(supervisor.getSnapshot().context.timers.get("t1")).toEqual({
        kind: "interval",
        ms: 1_000,
      });

      vi.advanceTimersByTime(3_000);
      expect(callback).toHaveBeenCalledTimes(3);

      supervisor.send({ type: "timer.clear", timerId: "t1" });
      expect(supervisor.getSnapshot().children.t1).toBeUndefined();
      expect(supervisor.getSnapshot().context.timers.has("t1")).toBe(false);
      vi.advanceTimersByTime(10_000);
      expect(callback).toHaveBeenCalledTimes(3);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("fires a timeout once and then drops it from children and timers", () => {
      const { supervisor } = startSupervisor();
      const callback = vi.fn();
      supervisor.send({ type: "timer.set", timerId: "t2", kind: "timeout", ms: 500, callback });
      expect(supervisor.getSnapshot().children.t2).toBeDefined();
      vi.advanceTimersByTime(499);
      expect(callback).not.toHaveBeenCalled();

      vi.advanceTimersByTime(1);
      expect(callback).toHaveBeenCalledTimes(1);
      expect(supervisor.getSnapshot().children.t2).toBeUndefined();
      expect(supervisor.getSnapshot().context.timers.size).toBe(0);
      vi.advanceTimersByTime(10_000);
      expect(callback).toHaveBeenCalledTimes(1);
    });

    it("cancels a timeout cleared before it fires", () => {
      const { supervisor } = startSupervisor();
      const callback = vi.fn();
      supervisor.send({ type: "timer.set", timerId: "t3", kind: "timeout", ms: 500, callback });
      supervisor.send({ type: "timer.clear", timerId: "t3" });
      vi.advanceTimersByTime(1_000);
      expect(callback).not.toHaveBeenCalled();
      expect(supervisor.getSnapshot().children.t3).toBeUndefined();
    });

    it("ignores timer.clear for an unknown timer", () => {
      const { supervisor } = startSupervisor();
      supervisor.send({ type: "timer.clear", timerId: "nope" });
      expect(supervisor.getSnapshot().value).toBe("running");
      expect(supervisor.getSnapshot().status).toBe("active");
    });

    it("reports a throwing interval callback and keeps the interval running", () => {
      const { supervisor, hooks } = startSupervisor();
      const boom = new Error("boom");
      const callback = vi.fn(() => {
        throw boom;
      });
      supervisor.send({ type: "timer.set", timerId: "t4", kind: "interval", ms: 100, callback });
      vi.advanceTimersByTime(100);
      expect(hooks.calls.failed).toHaveLength(1);
      expect(hooks.calls.failed[0]?.id).toBeUndefined();
      expect(hooks.calls.failed[0]?.error.code).toBe(ErrorCode.HANDLER_FAILED);
      expect(hooks.calls.failed[0]?.error.cause).toBe(boom);

      vi.advanceTimersByTime(200);
      expect(callback).toHaveBeenCalledTimes(3);
      expect(hooks.calls.failed).toHaveLength(3);
      expect(supervisor.getSnapshot().children.t4).toBeDefined();
      expect(supervisor.getSnapshot().status).toBe("active");
    });

    it("reports a rejecting timer callback", async () => {
      const { supervisor, hooks } = startSupervisor();
      const callback = () => Promise.reject(new Error("async boom"));
      supervisor.send({ type: "timer.set", timerId: "t5", kind: "timeout", ms: 10, callback });
      await vi.advanceTimersByTimeAsync(10);
      expect(hooks.calls.failed.map(({ error }) => error.code)).toEqual([ErrorCode.HANDLER_FAILED]);
    });
  });
});
