import { describe, expect, it } from "vitest";
import { measureWindow, windowFigures } from "../../../bench/scenarios/measure-window.js";

/** A clock that only calls move: each call of the op returned takes `msPerCall`. */
function timedOps(msPerCall: number, opsPerCall = 1) {
  let now = 0;
  return {
    now: () => now,
    op: async () => {
      await Promise.resolve();
      now += msPerCall;
      return opsPerCall;
    },
  };
}

describe("measureWindow", () => {
  it("ends at its duration when the minimum of calls was already reached", async () => {
    const { now, op } = timedOps(1);
    const window = await measureWindow(op, 1, { durationMs: 50, minCalls: 10, maxDurationMs: 1_000 }, now);
    expect(window).toMatchObject({ calls: 50, ops: 50, elapsedMs: 50, minCallsMet: true });
  });

  it("runs past its duration until the minimum of calls completed, so a slow machine measures enough calls", async () => {
    const { now, op } = timedOps(10);
    const window = await measureWindow(op, 1, { durationMs: 20, minCalls: 30, maxDurationMs: 1_000 }, now);
    expect(window).toMatchObject({ calls: 30, elapsedMs: 300, minCallsMet: true });
  });

  it("starts no more calls than the minimum once the duration passed, whatever the concurrency", async () => {
    const { now, op } = timedOps(5);
    const window = await measureWindow(op, 4, { durationMs: 0, minCalls: 6, maxDurationMs: 1_000 }, now);
    expect(window.calls).toBe(6);
  });

  it("counts operations, not calls, for streams, while the minimum counts calls", async () => {
    const { now, op } = timedOps(10, 500);
    const window = await measureWindow(op, 1, { durationMs: 0, minCalls: 3, maxDurationMs: 1_000 }, now);
    expect(window).toMatchObject({ calls: 3, ops: 1_500 });
  });

  it("stops starting calls at its upper bound and says the minimum was not met, rather than running on", async () => {
    const { now, op } = timedOps(100);
    const window = await measureWindow(op, 1, { durationMs: 10, minCalls: 1_000, maxDurationMs: 450 }, now);
    expect(window).toMatchObject({ calls: 5, elapsedMs: 500, minCallsMet: false });
    expect(windowFigures(window)).toEqual({ windowCalls: 5, minCallsMet: 0 });
  });

  it("is a plain time window without a minimum", async () => {
    const { now, op } = timedOps(10);
    expect(await measureWindow(op, 2, { durationMs: 30 }, now)).toMatchObject({ minCallsMet: true });
  });

  it("refuses an upper bound below the duration", async () => {
    await expect(measureWindow(async () => 1, 1, { durationMs: 100, maxDurationMs: 50 })).rejects.toThrow(
      "maxDurationMs (50) must be at least durationMs (100)",
    );
  });
});
