/** A figure with 3 significant digits, k from 10,000 and M from a million: 28.1, 512, 1,234, 25.9k, 3.02M. */
export function formatFigure(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 999_500) return `${(value / 1e6).toPrecision(3)}M`;
  if (abs >= 9_999.5) return `${(value / 1e3).toPrecision(3)}k`;
  if (abs >= 999.5) return Math.round(value).toLocaleString("en-US");
  if (abs === 0) return "0";
  return value.toPrecision(3);
}

/** A ratio with 2 decimals below 10 ("0.47", "2.10"), fewer above ("12.3", "140"). */
export function formatRatio(ratio: number): string {
  return ratio >= 99.95 ? ratio.toFixed(0) : ratio >= 9.995 ? ratio.toFixed(1) : ratio.toFixed(2);
}

/** A relative spread as a whole percentage: "±4%". */
export function formatSpread(spread: number): string {
  return `±${Math.round(spread * 100)}%`;
}
