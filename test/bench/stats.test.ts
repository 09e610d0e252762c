import { describe, expect, it } from "vitest";
import { median, quantile, relativeSpread, sortedCopy, summarize } from "../../bench/stats.js";

describe("quantile", () => {
  it("interpolates linearly between the closest ranks", () => {
    const sorted = [1, 2, 3, 4];
    expect(quantile(sorted, 0)).toBe(1);
    expect(quantile(sorted, 0.5)).toBe(2.5);
    expect(quantile(sorted, 1)).toBe(4);
    expect(quantile(sorted, 0.25)).toBe(1.75);
  });

  it("puts the p99 of 1..100 just below the largest value", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.99)).toBeCloseTo(99.01, 10);
  });

  it("refuses no values and a q outside 0..1", () => {
    expect(() => quantile([], 0.5)).toThrow("quantile of no values");
    expect(() => quantile([1], 1.5)).toThrow("quantile must be within 0..1, got 1.5");
  });
});

describe("median and summarize", () => {
  it("sort numerically, not as strings", () => {
    expect([...sortedCopy([10, 9, 100])]).toEqual([9, 10, 100]);
    expect(median([10, 9, 100])).toBe(10);
  });

  it("give the median, extremes and quartiles of samples in any order", () => {
    expect(summarize([5, 1, 3, 2, 4])).toEqual({ n: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4 });
  });

  it("give one sample as its own median with no spread", () => {
    const one = summarize([7]);
    expect(one).toMatchObject({ n: 1, median: 7, min: 7, max: 7 });
    expect(relativeSpread(one)).toBe(0);
  });
});

describe("relativeSpread", () => {
  it("is half the min–max range over the median", () => {
    expect(relativeSpread(summarize([90, 100, 110]))).toBeCloseTo(0.1, 10);
  });
});
