import { describe, expect, it } from "vitest";
import { collectResults, missingFigures } from "../../../bench/report/collect-results.js";
import { formatFigure } from "../../../bench/report/format-figure.js";
import { renderTable } from "../../../bench/report/render-table.js";
import { createSampleStore } from "../../../bench/report/sample-store.js";

function storeWith(values: Record<string, number[]>) {
  const store = createSampleStore();
  for (const [stack, samples] of Object.entries(values)) {
    for (const v of samples) store.add(stack as never, { scenario: "cold-start", metrics: { coldStartMs: v }, ops: 1 });
  }
  return store;
}

describe("collectResults", () => {
  it("summarises each stack's samples and divides its median by grpc-js's and raw's", () => {
    const rows = collectResults(storeWith({ "ours-full": [100, 120, 110], "grpc-js": [50, 60, 55], "raw-http2": [20, 22, 22] }), ["cold-start"]);
    expect(rows).toHaveLength(1);
    const ours = rows[0]!.stacks["ours-full"]!;
    expect(ours).toMatchObject({ median: 110, min: 100, max: 120, n: 3, samples: [100, 120, 110] });
    expect(ours.ratioToGrpcJs).toBeCloseTo(2, 10);
    expect(ours.ratioToRaw).toBeCloseTo(5, 10);
    expect(rows[0]).toMatchObject({ scenario: "cold-start", metric: "coldStartMs", better: "lower", shown: true });
  });

  it("lists every shown figure a stack did not produce", () => {
    const rows = collectResults(storeWith({ "ours-full": [1], "grpc-js": [1], "raw-http2": [1], "ours-bare": [1] }), ["cold-start"]);
    expect(missingFigures(rows)).toEqual(["connect-node / cold-start / ms to first call", "grpc-js-full / cold-start / ms to first call"]);
  });
});

describe("renderTable", () => {
  it("writes median, spread and both ratios per cell, marks missing figures and adds the bundles", () => {
    const rows = collectResults(storeWith({ "ours-full": [100, 120, 110], "grpc-js": [50, 60, 55], "raw-http2": [20, 22, 22] }), ["cold-start"]);
    const bundles = {
      esbuild: "0",
      apps: {
        "full-client": { minified: 150, gzip: 40, brotli: 30 },
        "bare-web-transport": { minified: 140, gzip: 38, brotli: 29 },
        "connect-web-baseline": { minified: 100, gzip: 32, brotli: 25 },
      },
    };
    const lines = renderTable({ title: "t", lines: ["machine"] }, rows, bundles).split("\n");
    expect(lines).toContain("| cold-start | ms to first call ↓ | 110 ±9% · 2.00g · 5.00r | **missing** | **missing** | 55.0 ±9% · 2.50r | **missing** | 22.0 ±5% · 0.40g |");
    expect(lines).toContain("| web bundle | gzip B ↓ | 40.0 · 1.25cw | 38.0 · 1.19cw | 32.0 (connect-web-baseline) | n/a | n/a | n/a |");
  });
});

describe("formatFigure", () => {
  it("keeps three significant digits with k and M", () => {
    expect([0, 0.0123, 28.14, 512, 1234.4, 25_912, 999_999, 3_020_000].map(formatFigure)).toEqual(["0", "0.0123", "28.1", "512", "1,234", "25.9k", "1.00M", "3.02M"]);
  });
});
