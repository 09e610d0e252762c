import { describe, expect, it } from "vitest";
import { collectResults, missingFigures } from "../../../bench/report/collect-results.js";
import { formatFigure } from "../../../bench/report/format-figure.js";
import { renderTable } from "../../../bench/report/render-table.js";
import { createSampleStore } from "../../../bench/report/sample-store.js";
import type { StackName } from "../../../bench/stacks/bench-client.js";

type Samples = Partial<Record<StackName, number[]>>;

/** A store holding `samples` of one metric of one scenario (cold start unless named). */
function storeWith(samples: Samples, scenario = "cold-start", metric = "coldStartMs", store = createSampleStore()) {
  for (const [stack, values] of Object.entries(samples)) {
    for (const v of values!) store.add(stack as StackName, { scenario, metrics: { [metric]: v }, ops: 1 });
  }
  return store;
}

/** One sample of `value` for every stack, with `overrides`. */
function everyStack(value: number, overrides: Partial<Record<StackName, number>> = {}): Samples {
  const all = {
    "ours-full": value,
    "ours-bare": value,
    "connect-node": value,
    "grpc-js": value,
    "grpc-js-full": value,
    "raw-http2": value,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).map(([stack, v]) => [stack, [v]]));
}

/** The rendered line of a scenario and metric label. */
function lineOf(text: string, scenario: string, label: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith(`| ${scenario} | ${label}`));
}

const bundles = {
  esbuild: "0",
  apps: {
    "full-web-transport": { minified: 150, gzip: 40, brotli: 30 },
    "bare-web-transport": { minified: 140, gzip: 38, brotli: 29 },
    "connect-web-baseline": { minified: 100, gzip: 32, brotli: 25 },
  },
};

describe("collectResults", () => {
  it("summarises each stack's samples and divides its median by grpc-js's, raw's, grpc-js-full's and ours-bare's", () => {
    const rows = collectResults(
      storeWith({
        "ours-full": [100, 120, 110],
        "ours-bare": [88],
        "grpc-js": [50, 60, 55],
        "grpc-js-full": [44],
        "raw-http2": [20, 22, 22],
      }),
      ["cold-start"],
    );
    expect(rows).toHaveLength(1);
    const ours = rows[0]!.stacks["ours-full"]!;
    expect(ours).toMatchObject({ median: 110, min: 100, max: 120, n: 3, samples: [100, 120, 110] });
    expect(ours.ratioToGrpcJs).toBeCloseTo(2, 10);
    expect(ours.ratioToRaw).toBeCloseTo(5, 10);
    expect(ours.ratioToGrpcJsFull).toBeCloseTo(2.5, 10);
    expect(ours.ratioToOursBare).toBeCloseTo(1.25, 10);
    expect(rows[0]).toMatchObject({ scenario: "cold-start", metric: "coldStartMs", better: "lower", shown: true });
  });

  it("lists every shown figure a stack did not produce", () => {
    const rows = collectResults(storeWith({ "ours-full": [1], "grpc-js": [1], "raw-http2": [1], "ours-bare": [1] }), ["cold-start"]);
    expect(missingFigures(rows)).toEqual(["connect-node / cold-start / ms to first call", "grpc-js-full / cold-start / ms to first call"]);
  });
});

describe("renderTable", () => {
  it("writes median, spread and both ratios per cell, marks missing figures and adds the bundles", () => {
    const rows = collectResults(storeWith({ "ours-full": [100, 120, 110], "grpc-js": [50, 60, 55], "raw-http2": [20, 22, 22] }), [
      "cold-start",
    ]);
    const lines = renderTable({ title: "t", lines: ["machine"] }, rows, bundles).split("\n");
    expect(lines).toContain(
      "| cold-start | ms to first call ↓ | 110 ±9% · 2.00g · 5.00r | **missing** | **missing** | 55.0 ±9% · 2.50r | **missing** | 22.0 ±5% · 0.40g | 2.00× |  | **missing** | **missing** |",
    );
    expect(lines).toContain(
      "| web bundle | gzip B ↓ | 40.0 · 1.25cw | 38.0 · 1.19cw | 32.0 (connect-web-baseline) | n/a | n/a | n/a |  |  |  |  |",
    );
  });

  it("puts ours-full against grpc-js, grpc-js-full and ours-bare in columns of their own", () => {
    const rows = collectResults(storeWith(everyStack(100, { "ours-full": 120, "grpc-js": 60, "grpc-js-full": 80 })), ["cold-start"]);
    const text = renderTable({ title: "t", lines: [] }, rows, undefined);
    expect(text.split("\n")).toContain(
      "| Scenario | Metric | ours-full | ours-bare | connect-node | grpc-js | grpc-js-full | raw-http2 | ours-full ÷ grpc-js | goal | ours-full ÷ grpc-js-full | ours-full ÷ ours-bare |",
    );
    expect(lineOf(text, "cold-start", "ms to first call")).toMatch(/ \| 2\.00× \| {2}\| 1\.50× \| 1\.20× \|$/);
  });

  it("flags ours-full ÷ ours-bare beyond 1.25× a cost or below 1/1.25 of a rate", () => {
    const render = (metric: string, oursFull: number) =>
      renderTable(
        { title: "t", lines: [] },
        collectResults(storeWith(everyStack(100, { "ours-full": oursFull }), "unary-small-c16", metric), ["unary-small-c16"]),
        undefined,
      );
    expect(lineOf(render("cpuUsPerCall", 126), "unary-small-c16", "CPU µs/call")).toMatch(/\| \*\*1\.26×\*\* ✗ \|$/);
    expect(lineOf(render("cpuUsPerCall", 125), "unary-small-c16", "CPU µs/call")).toMatch(/\| 1\.25× \|$/);
    expect(lineOf(render("callsPerSec", 79), "unary-small-c16", "calls/s")).toMatch(/\| \*\*0\.79×\*\* ✗ \|$/);
    expect(lineOf(render("callsPerSec", 80), "unary-small-c16", "calls/s")).toMatch(/\| 0\.80× \|$/);
  });

  it("shows the issue's goal beside ours-full ÷ grpc-js and marks it met or not met", () => {
    const store = storeWith(everyStack(100, { "ours-full": 70 }), "unary-small-c16", "cpuUsPerCall");
    storeWith(everyStack(100, { "ours-full": 80 }), "unary-small-c128", "cpuUsPerCall", store);
    const text = renderTable({ title: "t", lines: [] }, collectResults(store, ["unary-small-c16", "unary-small-c128"]), undefined);
    expect(lineOf(text, "unary-small-c16", "CPU µs/call")).toContain("| 0.70× | ≤ 0.75× ✓ met | 0.70× | 0.70× |");
    expect(lineOf(text, "unary-small-c128", "CPU µs/call")).toContain("| 0.80× | ≤ 0.75× ✗ **not met** | 0.80× | 0.80× |");
    expect(lineOf(text, "unary-small-c128", "calls/s")).toContain("| **missing** | ≥ 1.25× **missing** | **missing** | **missing** |");
  });

  it("lists every goal of the issue in a table of its own, met, not met or missing", () => {
    const store = storeWith(everyStack(100, { "ours-full": 60, "ours-bare": 50, "grpc-js-full": 120 }), "unary-small-c16", "cpuUsPerCall");
    storeWith(everyStack(100, { "ours-full": 130 }), "unary-small-c128", "callsPerSec", store);
    storeWith(everyStack(100, { "ours-full": 110 }), "server-stream", "msgsPerSec", store);
    const lines = renderTable(
      { title: "t", lines: [] },
      collectResults(store, ["unary-small-c16", "unary-small-c128", "server-stream"]),
      undefined,
    ).split("\n");
    expect(lines).toContain("| CPU per call, c16 | unary-small-c16 | cpuUsPerCall | grpc-js | 0.60 | ≤ 0.75 | ✓ met | 0.50 |");
    expect(lines).toContain("| CPU per call, c128 | unary-small-c128 | cpuUsPerCall | grpc-js | **missing** | ≤ 0.75 | **missing** |  |");
    expect(lines).toContain("| calls/s, c128 | unary-small-c128 | callsPerSec | grpc-js | 1.30 | ≥ 1.25 | ✓ met | 1.30 |");
    expect(lines).toContain("| server-stream msgs/s | server-stream | msgsPerSec | grpc-js | 1.10 | ≥ 1.20 | ✗ **not met** | 1.10 |");
    expect(lines).toContain("| policies' cost, c16 | unary-small-c16 | cpuUsPerCall | ours-bare | 1.20 | ≤ 1.25 | ✓ met |  |");
    expect(lines.filter((l) => l.startsWith("| heap per open stream | open-streams | heapBytesPerStream | grpc-js |"))).toHaveLength(1);
    expect(lines.indexOf("### Goals")).toBeLessThan(lines.indexOf("### Results"));
  });

  it("notes the windows that reached their time bound before their minimum of calls, and streams that did not all open", () => {
    const s = createSampleStore();
    s.add("ours-full", { scenario: "unary-small-c1", metrics: { callsPerSec: 50, windowCalls: 80, minCallsMet: 0 }, ops: 1 });
    s.add("ours-full", { scenario: "unary-small-c1", metrics: { callsPerSec: 60, windowCalls: 100, minCallsMet: 1 }, ops: 1 });
    s.add("grpc-js", { scenario: "unary-small-c1", metrics: { callsPerSec: 90, windowCalls: 200, minCallsMet: 1 }, ops: 1 });
    s.add("grpc-js", {
      scenario: "open-streams",
      metrics: { heapBytesPerStream: 9_000, streamsOpened: 7_412, allStreamsOpened: 0 },
      ops: 1,
    });
    const text = renderTable({ title: "t", lines: [] }, collectResults(s, ["unary-small-c1", "open-streams"]), undefined);
    expect(text).toContain(
      "- unary-small-c1: the window reached its time bound before its minimum of calls (ours-full: 1 of 2 runs, median 90 calls).",
    );
    expect(text).toContain(
      "- open-streams: not every stream opened within the time bound (grpc-js: 1 of 1 runs, median 7,412 streams); the figures are per stream that opened.",
    );
    expect(text).not.toContain("grpc-js: 0 of");
  });

  it("says once when every stack's window fell short alike", () => {
    const s = createSampleStore();
    for (const stack of ["ours-full", "ours-bare", "connect-node", "grpc-js", "grpc-js-full", "raw-http2"] as const) {
      s.add(stack, { scenario: "latency-small", metrics: { p99Ms: 9, windowCalls: 90, minCallsMet: 0 }, ops: 1 });
    }
    const text = renderTable({ title: "t", lines: [] }, collectResults(s, ["latency-small"]), undefined);
    expect(text).toContain(
      "- latency-small: the window reached its time bound before its minimum of calls (every stack: 1 of 1 runs, median 90 calls).",
    );
  });
});

describe("formatFigure", () => {
  it("keeps three significant digits with k and M", () => {
    expect([0, 0.0123, 28.14, 512, 1234.4, 25_912, 999_999, 3_020_000].map(formatFigure)).toEqual([
      "0",
      "0.0123",
      "28.1",
      "512",
      "1,234",
      "25.9k",
      "1.00M",
      "3.02M",
    ]);
  });
});
