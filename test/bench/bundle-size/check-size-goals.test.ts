import { describe, expect, it } from "vitest";
import { checkSizeGoals, describeGoalMiss } from "../../../bench/bundle-size/check-size-goals.js";

const size = (gzip: number) => ({ minified: gzip * 3, gzip, brotli: gzip });
const apps = [
  { name: "bare", baseline: "base", goal: 0.75 },
  { name: "full", baseline: "base", goal: 1 },
  { name: "extra", baseline: "base" },
  { name: "base", baseline: undefined },
];

describe("checkSizeGoals", () => {
  it("passes apps at or below their goal ratio to the baseline of the same run", () => {
    expect(checkSizeGoals(apps, { bare: size(750), full: size(1000), extra: size(5000), base: size(1000) })).toEqual([]);
  });

  it("fails an app one byte above its goal, whatever the committed figures say", () => {
    expect(checkSizeGoals(apps, { bare: size(751), full: size(1001), extra: size(1), base: size(1000) })).toEqual([
      { app: "bare", baseline: "base", ratio: 0.751, goal: 0.75 },
      { app: "full", baseline: "base", ratio: 1.001, goal: 1 },
    ]);
  });

  it("throws when a baseline was not measured", () => {
    expect(() => checkSizeGoals(apps, { bare: size(1), full: size(1) })).toThrow('no size measured for app "base"');
  });
});

describe("describeGoalMiss", () => {
  it("names the app, its ratio, the baseline and the goal", () => {
    expect(describeGoalMiss({ app: "bare", baseline: "base", ratio: 0.8123, goal: 0.75 })).toBe(
      "bare gzip is 0.812× base, above its goal of 0.75×",
    );
  });
});
