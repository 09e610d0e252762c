import type { BundleSizeApp } from "./bundle-size-apps.js";
import type { BundleSize } from "./measure-bundle.js";

const START = "<!-- bundle-size-table:start -->";
const END = "<!-- bundle-size-table:end -->";
const bytes = new Intl.NumberFormat("en-US");

/**
 * Renders the sizes as a Markdown table with, for each app, the difference
 * from the baseline app in every metric.
 */
export function renderSizeTable(
  apps: readonly Pick<BundleSizeApp, "name" | "contains">[],
  sizes: Readonly<Record<string, BundleSize>>,
  baselineApp: string,
): string {
  const baseline = requireSize(sizes, baselineApp);
  const rows = apps.map(({ name, contains }) => {
    const size = requireSize(sizes, name);
    const vsBaseline = (metric: keyof BundleSize) =>
      name === baselineApp ? "baseline" : difference(size[metric], baseline[metric]);
    return `| ${name} | ${contains} | ${bytes.format(size.minified)} | ${bytes.format(size.gzip)} | ${bytes.format(size.brotli)} | ${vsBaseline("minified")} | ${vsBaseline("gzip")} | ${vsBaseline("brotli")} |`;
  });
  return [
    "| App | Contains | Minified (B) | Gzip (B) | Brotli (B) | Minified vs baseline | Gzip vs baseline | Brotli vs baseline |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
  ].join("\n");
}

/** Replaces the table between the README's bundle-size-table markers. */
export function spliceSizeTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README has no ${START} ... ${END} markers around the size table`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

function difference(size: number, baseline: number): string {
  const sign = size >= baseline ? "+" : "-";
  const percent = ((Math.abs(size - baseline) / baseline) * 100).toFixed(1);
  return `${sign}${bytes.format(Math.abs(size - baseline))} (${sign}${percent}%)`;
}

function requireSize(sizes: Readonly<Record<string, BundleSize>>, app: string): BundleSize {
  const size = sizes[app];
  if (!size) throw new Error(`no size measured for app "${app}"`);
  return size;
}
