import type { BundleSizeApp } from "./bundle-size-apps.js";
import type { BundleSize } from "./measure-bundle.js";

const START = "<!-- bundle-size-table:start -->";
const END = "<!-- bundle-size-table:end -->";
const bytes = new Intl.NumberFormat("en-US");

type TableApp = Pick<BundleSizeApp, "name" | "schema" | "contains" | "baseline" | "goal">;

/**
 * Renders the sizes as a Markdown table with, for each app, its gzip size as
 * a ratio to its baseline (connect-web on the same schema, same run) and its goal.
 */
export function renderSizeTable(apps: readonly TableApp[], sizes: Readonly<Record<string, BundleSize>>): string {
  const rows = apps.map(({ name, schema, contains, baseline, goal }) => {
    const size = requireSize(sizes, name);
    const vsBaseline = baseline === undefined ? "baseline" : ratio(size.gzip, requireSize(sizes, baseline).gzip);
    const goalCell = goal === undefined ? "" : `≤ ${goal.toFixed(2)}×`;
    return `| ${name} | ${schema} | ${contains} | ${bytes.format(size.minified)} | ${bytes.format(size.gzip)} | ${bytes.format(size.brotli)} | ${vsBaseline} | ${goalCell} |`;
  });
  return [
    "| App | Schema | Contains | Minified (B) | Gzip (B) | Brotli (B) | Gzip vs connect-web | Goal |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
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

function ratio(size: number, baseline: number): string {
  const sign = size >= baseline ? "+" : "-";
  return `${(size / baseline).toFixed(2)}× (${sign}${bytes.format(Math.abs(size - baseline))})`;
}

function requireSize(sizes: Readonly<Record<string, BundleSize>>, app: string): BundleSize {
  const size = sizes[app];
  if (!size) throw new Error(`no size measured for app "${app}"`);
  return size;
}
