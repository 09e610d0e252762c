import type { BundleSize } from "./measure-bundle.js";

/** How much a size may grow over its committed figure before the check fails: 5%. */
export const DEFAULT_TOLERANCE = 0.05;

/** One size that grew past the tolerance. */
export interface BundleSizeRegression {
  app: string;
  metric: keyof BundleSize;
  committed: number;
  current: number;
}

const metrics: readonly (keyof BundleSize)[] = ["minified", "gzip", "brotli"];

/**
 * Lists every size in `current` that exceeds its committed figure by more
 * than `tolerance` (a fraction: 0.05 is 5%). Shrinking always passes. An app
 * with no committed figures is an error, not a pass: its size was never
 * agreed on.
 */
export function compareBundleSizes(
  committed: Readonly<Record<string, BundleSize>>,
  current: Readonly<Record<string, BundleSize>>,
  tolerance = DEFAULT_TOLERANCE,
): BundleSizeRegression[] {
  const regressions: BundleSizeRegression[] = [];
  for (const [app, size] of Object.entries(current)) {
    const agreed = committed[app];
    if (!agreed) {
      throw new Error(`app "${app}" has no committed size in bundle-size.json: run \`npm run bundle-size -- --update\``);
    }
    for (const metric of metrics) {
      if (size[metric] > agreed[metric] * (1 + tolerance)) {
        regressions.push({ app, metric, committed: agreed[metric], current: size[metric] });
      }
    }
  }
  return regressions;
}

/** One line naming the app, the metric and both sizes. */
export function describeRegression({ app, metric, committed, current }: BundleSizeRegression, tolerance = DEFAULT_TOLERANCE): string {
  const growth = ((current - committed) / committed) * 100;
  return `${app} ${metric}: ${current} B now, ${committed} B committed (+${growth.toFixed(1)}%, limit +${tolerance * 100}%)`;
}
