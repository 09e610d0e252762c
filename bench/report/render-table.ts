import { relativeSpread } from "../stats.js";
import { STACK_NAMES, type StackName } from "../stacks/bench-client.js";
import { BUNDLE_APP_OF, BUNDLE_BASELINE_APP, type BundleSize, type BundleSizes } from "./bundle-sizes.js";
import { GRPC_JS, RAW, type ResultRow, type StackFigure } from "./collect-results.js";
import { formatFigure, formatRatio, formatSpread } from "./format-figure.js";

/** The run's circumstances, printed above the table. */
export interface TableHeading {
  title: string;
  /** Lines of context (machine, seed, rates...), each printed as its own line. */
  lines: string[];
}

export const TABLE_LEGEND =
  "Each cell: median of the runs ±half their min–max range, then ratios of medians: **g** = this stack ÷ grpc-js, " +
  "**r** = this stack ÷ raw-http2 (the floor), **cw** = ÷ connect-web (bundles). ↓ lower is better, so a ratio below 1 beats the peer; " +
  "↑ higher is better, so a ratio above 1 beats it. Ratios within one run are what count: the machine is shared and noisy.";

/** Renders the results (shown rows only) and the web bundle sizes as one Markdown table, with heading and legend. */
export function renderTable(heading: TableHeading, rows: readonly ResultRow[], bundles: BundleSizes | undefined): string {
  const out = [`## ${heading.title}`, "", ...heading.lines.map((l) => `${l}  `), "", TABLE_LEGEND, ""];
  out.push(`| Scenario | Metric | ${STACK_NAMES.join(" | ")} |`, `| --- | --- |${" ---: |".repeat(STACK_NAMES.length)}`);
  for (const row of rows.filter((r) => r.shown)) {
    const arrow = row.better === "lower" ? "↓" : "↑";
    const cells = STACK_NAMES.map((stack) => figureCell(row.stacks[stack], stack));
    out.push(`| ${row.scenario} | ${row.label} ${arrow} | ${cells.join(" | ")} |`);
  }
  if (bundles !== undefined) {
    for (const metric of ["minified", "gzip", "brotli"] as const) {
      const cells = STACK_NAMES.map((stack) => bundleCell(bundles, stack, metric));
      out.push(`| web bundle | ${metric} B ↓ | ${cells.join(" | ")} |`);
    }
  }
  return out.join("\n");
}

function figureCell(figure: StackFigure | undefined, stack: StackName): string {
  if (figure === undefined) return "**missing**";
  const parts = [`${formatFigure(figure.median)} ${formatSpread(relativeSpread(figure))}`];
  if (stack !== GRPC_JS && figure.ratioToGrpcJs !== undefined) parts.push(`${formatRatio(figure.ratioToGrpcJs)}g`);
  if (stack !== RAW && figure.ratioToRaw !== undefined) parts.push(`${formatRatio(figure.ratioToRaw)}r`);
  return parts.join(" · ");
}

function bundleCell(bundles: BundleSizes, stack: StackName, metric: keyof BundleSize): string {
  const app = BUNDLE_APP_OF[stack];
  const size = app === undefined ? undefined : bundles.apps[app]?.[metric];
  const baseline = bundles.apps[BUNDLE_BASELINE_APP]?.[metric];
  if (size === undefined) return "n/a";
  if (app === BUNDLE_BASELINE_APP || baseline === undefined) return `${formatFigure(size)} (${app})`;
  return `${formatFigure(size)} · ${formatRatio(size / baseline)}cw`;
}
