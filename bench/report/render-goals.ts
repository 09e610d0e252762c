import { formatRatio } from "./format-figure.js";
import type { GoalResult } from "./goals.js";

/** "✓ met", "✗ **not met**" or "**missing**". */
export function verdict(met: boolean | undefined): string {
  return met === undefined ? "**missing**" : met ? "✓ met" : "✗ **not met**";
}

/** The goals of issue #12 as a Markdown table: each ratio of ours-full, its target and whether this run meets it. */
export function renderGoals(goals: readonly GoalResult[]): string[] {
  const out = [
    "| Goal (issue #12) | Scenario | Metric | ours-full ÷ | Ratio | Target | Result | ours-full ÷ grpc-js-full |",
    "| --- | --- | --- | --- | ---: | ---: | --- | ---: |",
  ];
  for (const goal of goals) {
    const ratio = goal.ratio === undefined ? "**missing**" : formatRatio(goal.ratio);
    const likeForLike = goal.ratioToGrpcJsFull === undefined ? "" : formatRatio(goal.ratioToGrpcJsFull);
    out.push(
      `| ${goal.label} | ${goal.scenario} | ${goal.metric} | ${goal.versus} | ${ratio} | ${goal.op} ${formatRatio(goal.target)} | ${verdict(goal.met)} | ${likeForLike} |`,
    );
  }
  return out;
}
