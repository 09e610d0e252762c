/** Median, spread and percentiles of benchmark samples. */

/** The sample distribution the report shows: median and spread. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First quartile. */
  readonly q1: number;
  /** Third quartile. */
  readonly q3: number;
}

/**
 * The q-quantile (0..1) of ascending `sorted` values, linearly interpolated
 * between the closest ranks (R-7, as numpy and Excel): the median of [1, 2, 3, 4] is 2.5.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new Error("quantile of no values");
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile must be within 0..1, got ${q}`);
  const rank = (sorted.length - 1) * q;
  const below = Math.floor(rank);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (rank - below);
}

/** Sorts a copy, ascending, numerically. */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** The median of `values` (in any order). */
export function median(values: ArrayLike<number>): number {
  return quantile(sortedCopy(values), 0.5);
}

/** Median, extremes and quartiles of `values` (in any order). */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = sortedCopy(values);
  if (sorted.length === 0) throw new Error("summary of no values");
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
  };
}

/** Half the min–max range relative to the median: "±5%" is 0.05. 0 for one sample or a zero median. */
export function relativeSpread(summary: Summary): number {
  return summary.median === 0 ? 0 : (summary.max - summary.min) / 2 / Math.abs(summary.median);
}
