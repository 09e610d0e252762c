import { type Summary, summarize } from "../stats.js";
import { STACK_NAMES, type StackName } from "../stacks/bench-client.js";
import { METRICS, shownMetrics } from "./metrics.js";
import type { SampleStore } from "./sample-store.js";

/** The peers every figure is compared with. */
export const GRPC_JS: StackName = "grpc-js";
export const RAW: StackName = "raw-http2";
/** The peers ours-full is also compared with: grpc-js sending what it sends, and ours without policies. */
export const GRPC_JS_FULL: StackName = "grpc-js-full";
export const OURS_BARE: StackName = "ours-bare";

/** One stack's figure for one metric: median and spread of its samples, and ratios of medians. */
export interface StackFigure extends Summary {
  samples: number[];
  /** This stack's median ÷ grpc-js's median. */
  ratioToGrpcJs: number | undefined;
  /** This stack's median ÷ the raw floor's median. */
  ratioToRaw: number | undefined;
  /** This stack's median ÷ grpc-js-full's median (like for like with ours-full). */
  ratioToGrpcJsFull: number | undefined;
  /** This stack's median ÷ ours-bare's median (for ours-full: what its policies cost). */
  ratioToOursBare: number | undefined;
}

/** One row of results: a metric of a scenario, for every stack that produced it. */
export interface ResultRow {
  scenario: string;
  metric: string;
  label: string;
  better: "lower" | "higher";
  /** Whether the Markdown table shows it (the JSON has every row). */
  shown: boolean;
  stacks: Partial<Record<StackName, StackFigure>>;
}

/** Summarises the samples of each scenario (in the order given) into rows. */
export function collectResults(store: SampleStore, scenarios: readonly string[]): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const scenario of scenarios) {
    const shown = shownMetrics(scenario);
    const metrics = [...new Set([...shown, ...store.metricsOf(scenario)])];
    for (const metric of metrics) {
      const definition = METRICS[metric] ?? { label: metric, better: "lower" as const };
      const summaries = new Map<StackName, Summary & { samples: number[] }>();
      for (const stack of STACK_NAMES) {
        const samples = store.get(scenario, metric, stack);
        if (samples.length > 0) summaries.set(stack, { ...summarize(samples), samples: [...samples] });
      }
      const ratio = (value: number, peer: StackName) => {
        const base = summaries.get(peer)?.median;
        return base === undefined || base === 0 ? undefined : value / base;
      };
      const stacks: Partial<Record<StackName, StackFigure>> = {};
      for (const [stack, summary] of summaries) {
        stacks[stack] = {
          ...summary,
          ratioToGrpcJs: ratio(summary.median, GRPC_JS),
          ratioToRaw: ratio(summary.median, RAW),
          ratioToGrpcJsFull: ratio(summary.median, GRPC_JS_FULL),
          ratioToOursBare: ratio(summary.median, OURS_BARE),
        };
      }
      rows.push({ scenario, metric, label: definition.label, better: definition.better, shown: shown.includes(metric), stacks });
    }
  }
  return rows;
}

/** "stack / scenario / metric" for every shown figure a stack did not produce; empty when the run is complete. */
export function missingFigures(rows: readonly ResultRow[], stacks: readonly StackName[] = STACK_NAMES): string[] {
  return rows
    .filter((row) => row.shown)
    .flatMap((row) => stacks.filter((s) => row.stacks[s] === undefined).map((s) => `${s} / ${row.scenario} / ${row.label}`));
}
