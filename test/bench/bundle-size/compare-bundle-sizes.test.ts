import { describe, expect, it } from "vitest";
import { compareBundleSizes, describeRegression } from "../../../bench/bundle-size/compare-bundle-sizes.js";

const committed = { app: { minified: 10_000, gzip: 4_000, brotli: 3_000 } };

describe("compareBundleSizes", () => {
  it("fails a size that grew 5.1%", () => {
    const current = { app: { minified: 10_510, gzip: 4_000, brotli: 3_000 } };
    expect(compareBundleSizes(committed, current)).toEqual([{ app: "app", metric: "minified", committed: 10_000, current: 10_510 }]);
  });

  it("passes a size that grew 4.9%", () => {
    const current = { app: { minified: 10_490, gzip: 4_196, brotli: 3_147 } };
    expect(compareBundleSizes(committed, current)).toEqual([]);
  });

  it("passes a size that grew exactly 5%", () => {
    const current = { app: { minified: 10_500, gzip: 4_200, brotli: 3_150 } };
    expect(compareBundleSizes(committed, current)).toEqual([]);
  });

  it("passes a size that shrank", () => {
    const current = { app: { minified: 5_000, gzip: 2_000, brotli: 1_500 } };
    expect(compareBundleSizes(committed, current)).toEqual([]);
  });

  it("reports every metric that grew too much", () => {
    const current = { app: { minified: 10_000, gzip: 4_300, brotli: 3_200 } };
    expect(compareBundleSizes(committed, current).map((r) => r.metric)).toEqual(["gzip", "brotli"]);
  });

  it("throws for an app with no committed size, naming it and the fix", () => {
    const current = { ...committed, "new-app": { minified: 1, gzip: 1, brotli: 1 } };
    expect(() => compareBundleSizes(committed, current)).toThrow(
      'app "new-app" has no committed size in bundle-size.json: run `npm run bundle-size -- --update`',
    );
  });

  it("honours another tolerance", () => {
    const current = { app: { minified: 10_200, gzip: 4_000, brotli: 3_000 } };
    expect(compareBundleSizes(committed, current, 0.01)).toHaveLength(1);
  });
});

describe("describeRegression", () => {
  it("names the app, the metric, both sizes and the growth", () => {
    const line = describeRegression({ app: "full-client", metric: "gzip", committed: 4_000, current: 4_204 });
    expect(line).toBe("full-client gzip: 4204 B now, 4000 B committed (+5.1%, limit +5%)");
  });
});
