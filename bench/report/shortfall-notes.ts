import { STACK_NAMES } from "../stacks/bench-client.js";
import { median } from "../stats.js";
import type { ResultRow } from "./collect-results.js";
import { formatFigure } from "./format-figure.js";

/**
 * One line per (scenario, stack) whose measurement a time bound cut short:
 * a window that ended before its minimum of calls (minCallsMet 0), or
 * open-streams that did not open every stream in time (allStreamsOpened 0).
 * Their figures are still per call and per stream, over fewer of them.
 */
export function shortfallNotes(rows: readonly ResultRow[]): string[] {
  const notes: string[] = [];
  for (const flag of rows.filter((r) => r.metric === "minCallsMet" || r.metric === "allStreamsOpened")) {
    const countMetric = flag.metric === "minCallsMet" ? "windowCalls" : "streamsOpened";
    const counts = rows.find((r) => r.scenario === flag.scenario && r.metric === countMetric);
    for (const stack of STACK_NAMES) {
      const samples = flag.stacks[stack]?.samples ?? [];
      const short = samples.filter((s) => s < 1).length;
      if (short === 0) continue;
      const reached = counts?.stacks[stack]?.samples;
      const median_ = reached === undefined || reached.length === 0 ? "?" : formatFigure(Math.round(median(reached)));
      notes.push(
        flag.metric === "minCallsMet"
          ? `${flag.scenario}, ${stack}: in ${short} of ${samples.length} runs the window reached its time bound before its minimum of calls (median ${median_} calls measured).`
          : `${flag.scenario}, ${stack}: in ${short} of ${samples.length} runs not every stream opened within the time bound (median ${median_} opened); its figures are per stream that opened.`,
      );
    }
  }
  return notes;
}
