import { describe, expect, it } from "vitest";
import { backoffDelayMs, sleep } from "../../src/interceptors/backoff.js";
import { FakeClock } from "./retry-test-kit.js";

const policy = {
  initialBackoffMs: 100,
  maxBackoffMs: 1000,
  backoffMultiplier: 3,
};

describe("backoffDelayMs", () => {
  it("scales the random fraction by min(initial * multiplier^(n-1), max)", () => {
    const half = () => 0.5;
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, half))).toEqual([50, 150, 450, 500]);
  });

  it("keeps a misbehaving random source inside [0, ceiling]", () => {
    expect(backoffDelayMs(1, policy, () => 7)).toBe(100);
    expect(backoffDelayMs(1, policy, () => -1)).toBe(0);
  });
});

describe("sleep", () => {
  it("resolves after the delay on the given clock", async () => {
    const clock = new FakeClock();
    await clock.run(sleep(250, new AbortController().signal, clock));
    expect(clock.now()).toBe(250);
  });

  it("rejects with the signal's reason and cancels its timer on abort", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const slept = sleep(250, controller.signal, clock);
    controller.abort("stop");
    await expect(slept).rejects.toBe("stop");
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.now()).toBe(0);
  });
});
