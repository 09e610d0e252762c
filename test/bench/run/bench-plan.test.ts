import { describe, expect, it } from "vitest";
import { latencyFamily, MODE_SETTINGS, profileSpec, throughputFamilies } from "../../../bench/run/bench-plan.js";
import type { ScenarioSpec, WindowSpec } from "../../../bench/scenarios/scenario-spec.js";

const hasWindow = (s: ScenarioSpec): s is ScenarioSpec & WindowSpec => "maxDurationMs" in s;

const rates = { small: 1_000, "1k": 100, "64k": 10 };

describe("the bench plan", () => {
  it.each(["full", "quick"] as const)(
    "gives every closed-loop window of %s mode a minimum of calls and an upper bound above its duration",
    (mode) => {
      const windows = throughputFamilies(mode)
        .flatMap((f) => f.scenarios)
        .filter(hasWindow);
      expect(windows).toHaveLength(12);
      for (const spec of windows) {
        expect(spec.minCalls, spec.name).toBeGreaterThan(0);
        expect(spec.maxDurationMs, spec.name).toBeGreaterThan(spec.durationMs);
      }
    },
  );

  it("bounds each child by twice its windows' upper bounds", () => {
    const unary = throughputFamilies("quick").find((f) => f.name === "unary")!;
    // A warm-up has the window's upper bound too.
    const longest = unary.scenarios.reduce(
      (ms, s) => ms + ("maxDurationMs" in s ? Math.max(s.warmupMs, s.maxDurationMs) + s.maxDurationMs : 0),
      0,
    );
    expect(unary.timeoutMs).toBe(2 * longest + 20_000);
  });

  it("warms each full-mode process up with a number of calls, not only for a time, before a unary or fixed-rate window", () => {
    const unary = throughputFamilies("full").find((f) => f.name === "unary")!.scenarios;
    expect(unary[0]).toMatchObject({ warmupCalls: MODE_SETTINGS.full.unary.firstWarmupCalls });
    for (const spec of [...unary, ...latencyFamily("full", rates).scenarios]) {
      expect("warmupCalls" in spec && spec.warmupCalls, spec.name).toBeGreaterThanOrEqual(300);
    }
  });

  it("makes a fixed-rate window long enough for the minimum of calls, within its bounds", () => {
    const s = MODE_SETTINGS.full.latency;
    const durations = latencyFamily("full", rates).scenarios.map((spec) =>
      spec.kind === "latency" ? [spec.durationMs, spec.minCalls] : [],
    );
    // 800 calls at 1,000/s take 800 ms; at 100/s 8 s, cut to the 4 s bound (400 calls, reported short).
    expect(durations).toEqual([
      [Math.max(s.minDurationMs, 800), 800],
      [s.maxDurationMs, 800],
      [s.maxDurationMs, 800],
    ]);
  });

  it("profiles a window of the asked length, however long its usual bound", () => {
    expect(profileSpec("unary-small-c16", 1_000, 9_000)).toMatchObject({ warmupMs: 1_000, durationMs: 9_000, maxDurationMs: 9_000 });
  });
});
