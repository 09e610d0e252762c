import { relativeSpread } from "../stats.js";
import { STACK_NAMES, type StackName } from "../stacks/bench-client.js";
import { BUNDLE_APP_OF, BUNDLE_BASELINE_APP, type BundleSize, type BundleSizes } from "./bundle-sizes.js";
import { GRPC_JS, RAW, type ResultRow, type StackFigure } from "./collect-results.js";
import { formatFigure, formatRatio, formatSpread } from "./format-figure.js";
import { evaluateGoals, GOALS, meets, POLICY_COST_LIMIT, withinPolicyCost } from "./goals.js";
import { renderGoals, verdict } from "./render-goals.js";
import { shortfallNotes } from "./shortfall-notes.js";

/** The run's circumstances, printed above the table. */
export interface TableHeading {
  title: string;
  /** Lines of context (machine, seed, rates...), each printed as its own line. */
  lines: string[];
}

export const TABLE_LEGEND =
  "Each cell: median of the runs ±half their min–max range, then ratios of medians: **g** = this stack ÷ grpc-js, " +
  "**r** = this stack ÷ raw-http2 (the floor), **cw** = ÷ connect-web (bundles). ↓ lower is better, so a ratio below 1 beats the peer; " +
  "↑ higher is better, so a ratio above 1 beats it. The last columns put ours-full against grpc-js (with the issue's goal, where it sets one), " +
  `against grpc-js-full (grpc-js sending the same deadline, bearer token and correlation id) and against ours-bare (what the policies cost: ✗ marks more than ${formatRatio(POLICY_COST_LIMIT)}× a cost, or less than 1/${formatRatio(POLICY_COST_LIMIT)} of a rate). ` +
  "Ratios within one run are what count: the machine is shared and noisy.";

const RATIO_COLUMNS = ["ours-full ÷ grpc-js", "goal", "ours-full ÷ grpc-js-full", "ours-full ÷ ours-bare"];

/**
 * Renders the goals of issue #12 (met or not), then the results (shown rows
 * only) and the web bundle sizes as one Markdown table, with heading,
 * legend, and notes on windows and streams that fell short of their minimum.
 */
export function renderTable(heading: TableHeading, rows: readonly ResultRow[], bundles: BundleSizes | undefined): string {
  const out = [`## ${heading.title}`, "", ...heading.lines.map((l) => `${l}  `), ""];
  out.push("### Goals", "", ...renderGoals(evaluateGoals(rows)), "", "### Results", "", TABLE_LEGEND, "");
  const columns = [...STACK_NAMES, ...RATIO_COLUMNS];
  out.push(`| Scenario | Metric | ${columns.join(" | ")} |`, `| --- | --- |${" ---: |".repeat(columns.length)}`);
  for (const row of rows.filter((r) => r.shown)) {
    const arrow = row.better === "lower" ? "↓" : "↑";
    const cells = STACK_NAMES.map((stack) => figureCell(row.stacks[stack], stack));
    out.push(`| ${row.scenario} | ${row.label} ${arrow} | ${[...cells, ...ratioCells(row)].join(" | ")} |`);
  }
  if (bundles !== undefined) {
    for (const metric of ["minified", "gzip", "brotli"] as const) {
      const cells = STACK_NAMES.map((stack) => bundleCell(bundles, stack, metric));
      out.push(`| web bundle | ${metric} B ↓ | ${[...cells, ...RATIO_COLUMNS.map(() => "")].join(" | ")} |`);
    }
  }
  const notes = shortfallNotes(rows);
  if (notes.length > 0) out.push("", ...notes.map((n) => `- ${n}`));
  return out.join("\n");
}

function figureCell(figure: StackFigure | undefined, stack: StackName): string {
  if (figure === undefined) return "**missing**";
  const parts = [`${formatFigure(figure.median)} ${formatSpread(relativeSpread(figure))}`];
  if (stack !== GRPC_JS && figure.ratioToGrpcJs !== undefined) parts.push(`${formatRatio(figure.ratioToGrpcJs)}g`);
  if (stack !== RAW && figure.ratioToRaw !== undefined) parts.push(`${formatRatio(figure.ratioToRaw)}r`);
  return parts.join(" · ");
}

/** ours-full ÷ grpc-js, the goal for it (if any), ÷ grpc-js-full, and ÷ ours-bare flagged against the policies' limit. */
function ratioCells(row: ResultRow): string[] {
  const ours = row.stacks["ours-full"];
  const ratio = (value: number | undefined) => (value === undefined ? "**missing**" : `${formatRatio(value)}×`);
  const goal = GOALS.find((g) => g.versus === "grpc-js" && g.scenario === row.scenario && g.metric === row.metric);
  const goalCell =
    goal === undefined
      ? ""
      : `${goal.op} ${formatRatio(goal.target)}× ${verdict(ours?.ratioToGrpcJs === undefined ? undefined : meets(ours.ratioToGrpcJs, goal.op, goal.target))}`;
  const bare = ours?.ratioToOursBare;
  const bareCell =
    bare === undefined ? "**missing**" : withinPolicyCost(bare, row.better) ? `${formatRatio(bare)}×` : `**${formatRatio(bare)}×** ✗`;
  return [ratio(ours?.ratioToGrpcJs), goalCell, ratio(ours?.ratioToGrpcJsFull), bareCell];
}

function bundleCell(bundles: BundleSizes, stack: StackName, metric: keyof BundleSize): string {
  const app = BUNDLE_APP_OF[stack];
  const size = app === undefined ? undefined : bundles.apps[app]?.[metric];
  const baseline = bundles.apps[BUNDLE_BASELINE_APP]?.[metric];
  if (size === undefined) return "n/a";
  if (app === BUNDLE_BASELINE_APP || baseline === undefined) return `${formatFigure(size)} (${app})`;
  return `${formatFigure(size)} · ${formatRatio(size / baseline)}cw`;
}
