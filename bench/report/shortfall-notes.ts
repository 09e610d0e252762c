import { STACK_NAMES } from "../stacks/bench-client.js";
import { median } from "../stats.js";
import type { ResultRow } from "./collect-results.js";

/**
 * One line per scenario whose measurement a time bound cut short for some
 * stack: a window that ended before its minimum of calls (minCallsMet 0),
 * or open-streams runs that did not open every stream in time
 * (allStreamsOpened 0). Their figures are still per call and per stream,
 * over fewer of them.
 */
export function shortfallNotes(rows: readonly ResultRow[]): string[] {
  const notes: string[] = [];
  for (const flag of rows.filter((r) => r.metric === "minCallsMet" || r.metric === "allStreamsOpened")) {
    const windows = flag.metric === "minCallsMet";
    const counts = rows.find((r) => r.scenario === flag.scenario && r.metric === (windows ? "windowCalls" : "streamsOpened"));
    const shortfalls = STACK_NAMES.flatMap((stack) => {
      const samples = flag.stacks[stack]?.samples ?? [];
      const short = samples.filter((s) => s < 1).length;
      if (short === 0) return [];
      const reached = counts?.stacks[stack]?.samples ?? [];
      const typical = reached.length === 0 ? "?" : Math.round(median(reached)).toLocaleString("en-US");
      return [{ stack, what: `${short} of ${samples.length} runs, median ${typical} ${windows ? "calls" : "streams"}` }];
    });
    if (shortfalls.length === 0) continue;
    // A fixed-rate window too short for its minimum at the run's rate is short alike for every stack.
    const alike = shortfalls.length === STACK_NAMES.length && shortfalls.every((s) => s.what === shortfalls[0]!.what);
    const stacks = alike ? [`every stack: ${shortfalls[0]!.what}`] : shortfalls.map((s) => `${s.stack}: ${s.what}`);
    notes.push(
      windows
        ? `${flag.scenario}: the window reached its time bound before its minimum of calls (${stacks.join("; ")}).`
        : `${flag.scenario}: not every stream opened within the time bound (${stacks.join("; ")}); the figures are per stream that opened.`,
    );
  }
  return notes;
}
