import { describe, expect, it } from "vitest";
import { createSampleStore } from "../../../bench/report/sample-store.js";
import { chooseRates, floorToTwoDigits } from "../../../bench/run/choose-rates.js";
import type { StackName } from "../../../bench/stacks/bench-client.js";

describe("floorToTwoDigits", () => {
  it("rounds down to two significant digits, and never below 1", () => {
    expect([1834, 437, 99.9, 10, 9.7, 0.2].map(floorToTwoDigits)).toEqual([1800, 430, 99, 10, 9, 1]);
  });
});

describe("chooseRates", () => {
  it("takes a fraction of the slowest stack's best concurrency, per size", () => {
    const store = createSampleStore();
    const stacks: StackName[] = ["ours-full", "grpc-js"];
    const sizes = ["small", "1k", "64k"] as const;
    for (const size of sizes) {
      for (const [c, ours, grpc] of [
        [1, 1000, 3000],
        [16, 4000, 9000],
        [128, 3500, 12000],
      ] as const) {
        store.add("ours-full", { scenario: `unary-${size}-c${c}`, metrics: { callsPerSec: ours }, ops: 1 });
        store.add("grpc-js", { scenario: `unary-${size}-c${c}`, metrics: { callsPerSec: grpc }, ops: 1 });
      }
    }
    expect(chooseRates(store, stacks, 0.4)).toEqual({ small: 1600, "1k": 1600, "64k": 1600 });
  });

  it("fails naming the stack that has no closed-loop figure", () => {
    expect(() => chooseRates(createSampleStore(), ["raw-http2"], 0.4)).toThrow("no closed-loop calls/s for raw-http2 at size small");
  });
});
