import { describe, expect, it } from "vitest";
import { runFixedRate } from "../../../bench/scenarios/fixed-rate-load.js";

/** A clock that moves only when told, running due timers as it goes. */
function manualClock() {
  let now = 0;
  const timers: { at: number; callback: () => void }[] = [];
  return {
    now: () => now,
    setTimeout(callback: () => void, ms: number) {
      timers.push({ at: now + ms, callback });
    },
    async advanceTo(t: number) {
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (next === undefined || next.at > t) break;
        timers.shift();
        now = next.at;
        next.callback();
        await Promise.resolve();
      }
      now = t;
    },
  };
}

describe("runFixedRate", () => {
  it("starts calls on schedule and counts latency from each call's due time, so a stall shows in every call it delayed", async () => {
    const clock = manualClock();
    const pending: (() => void)[] = [];
    const op = () => new Promise<void>((resolve) => pending.push(resolve));
    // 100 calls/s for 50 ms: calls due at 0, 10, 20, 30, 40 ms.
    const result = runFixedRate(op, 100, 50, clock);
    await clock.advanceTo(40);
    expect(pending).toHaveLength(5);
    // The server stalls: everything answers at 45 ms.
    await clock.advanceTo(45);
    for (const resolve of pending) resolve();
    const { latenciesMs } = await result;
    expect([...latenciesMs]).toEqual([45, 35, 25, 15, 5]);
  });

  it("catches up on calls that fell due while the timer was late", async () => {
    const clock = manualClock();
    let started = 0;
    const result = runFixedRate(async () => void started++, 1000, 10, clock);
    await clock.advanceTo(0);
    expect(started).toBe(1);
    // No timer ran between 1 ms and 9 ms (a busy event loop): the 9 calls due by then start at once.
    clock.now = () => 9;
    await clock.advanceTo(9);
    expect(started).toBe(10);
    expect((await result).latenciesMs).toHaveLength(10);
  });

  it("fails with the first failed call", async () => {
    await expect(runFixedRate(() => Promise.reject(new Error("boom")), 100, 10)).rejects.toThrow("boom");
  });
});
