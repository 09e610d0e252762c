import type { BundleSizeApp } from "./bundle-size-apps.js";
import type { BundleSize } from "./measure-bundle.js";

/** One app whose gzip size is above its goal ratio to its baseline. */
export interface SizeGoalMiss {
  app: string;
  baseline: string;
  ratio: number;
  goal: number;
}

/**
 * Lists every app whose gzip size, divided by its baseline's gzip size from
 * the same run, exceeds its goal. Both sizes come from one run, so machine
 * and tool versions cancel out; an app or baseline not measured is an error.
 */
export function checkSizeGoals(
  apps: readonly Pick<BundleSizeApp, "name" | "baseline" | "goal">[],
  sizes: Readonly<Record<string, BundleSize>>,
): SizeGoalMiss[] {
  const misses: SizeGoalMiss[] = [];
  for (const { name, baseline, goal } of apps) {
    if (goal === undefined || baseline === undefined) continue;
    const size = sizes[name];
    const base = sizes[baseline];
    if (size === undefined || base === undefined) throw new Error(`no size measured for app "${size === undefined ? name : baseline}"`);
    const ratio = size.gzip / base.gzip;
    if (ratio > goal) misses.push({ app: name, baseline, ratio, goal });
  }
  return misses;
}

/** One line naming the app, its ratio and its goal. */
export function describeGoalMiss({ app, baseline, ratio, goal }: SizeGoalMiss): string {
  return `${app} gzip is ${ratio.toFixed(3)}× ${baseline}, above its goal of ${goal.toFixed(2)}×`;
}
