import type { StackName } from "../stacks/bench-client.js";
import type { ResultRow } from "./collect-results.js";

/** A goal of issue #12 for ours-full: its median ÷ a peer's median must be at most (≤) or at least (≥) `target`. */
export interface Goal {
  label: string;
  scenario: string;
  metric: string;
  /** The peer ours-full is divided by. */
  versus: Extract<StackName, "grpc-js" | "ours-bare">;
  op: "≤" | "≥";
  target: number;
}

/** What the policies of ours-full (auth, retry, deadline, correlation) may cost over ours-bare: a quarter of a call. */
export const POLICY_COST_LIMIT = 1.25;

/** The goals of issue #12, in its order: against grpc-js, then the policies' cost against ours-bare. */
export const GOALS: readonly Goal[] = [
  { label: "CPU per call, c16", scenario: "unary-small-c16", metric: "cpuUsPerCall", versus: "grpc-js", op: "≤", target: 0.75 },
  { label: "CPU per call, c128", scenario: "unary-small-c128", metric: "cpuUsPerCall", versus: "grpc-js", op: "≤", target: 0.75 },
  { label: "calls/s, c128", scenario: "unary-small-c128", metric: "callsPerSec", versus: "grpc-js", op: "≥", target: 1.25 },
  { label: "heap per open stream", scenario: "open-streams", metric: "heapBytesPerStream", versus: "grpc-js", op: "≤", target: 1.0 },
  { label: "server-stream msgs/s", scenario: "server-stream", metric: "msgsPerSec", versus: "grpc-js", op: "≥", target: 1.2 },
  { label: "p99 latency at a fixed rate", scenario: "latency-small", metric: "p99Ms", versus: "grpc-js", op: "≤", target: 1.0 },
  {
    label: "policies' cost, c16",
    scenario: "unary-small-c16",
    metric: "cpuUsPerCall",
    versus: "ours-bare",
    op: "≤",
    target: POLICY_COST_LIMIT,
  },
  {
    label: "policies' cost, c128",
    scenario: "unary-small-c128",
    metric: "cpuUsPerCall",
    versus: "ours-bare",
    op: "≤",
    target: POLICY_COST_LIMIT,
  },
];

/** A goal judged on one run. */
export interface GoalResult extends Goal {
  /** ours-full's median ÷ the peer's; undefined when either figure is missing. */
  ratio: number | undefined;
  /** undefined when the ratio is missing. */
  met: boolean | undefined;
  /** ours-full's median ÷ grpc-js-full's, shown beside the goals against grpc-js. */
  ratioToGrpcJsFull: number | undefined;
}

/** Judges every goal on the rows of a run (ours-full's medians). */
export function evaluateGoals(rows: readonly ResultRow[], goals: readonly Goal[] = GOALS): GoalResult[] {
  return goals.map((goal) => {
    const ours = rows.find((r) => r.scenario === goal.scenario && r.metric === goal.metric)?.stacks["ours-full"];
    const ratio = goal.versus === "grpc-js" ? ours?.ratioToGrpcJs : ours?.ratioToOursBare;
    return {
      ...goal,
      ratio,
      met: ratio === undefined ? undefined : meets(ratio, goal.op, goal.target),
      ratioToGrpcJsFull: goal.versus === "grpc-js" ? ours?.ratioToGrpcJsFull : undefined,
    };
  });
}

/** Whether `ratio` is on the right side of `target`. */
export function meets(ratio: number, op: Goal["op"], target: number): boolean {
  return op === "≤" ? ratio <= target : ratio >= target;
}

/**
 * Whether ours-full ÷ ours-bare keeps within POLICY_COST_LIMIT in the
 * metric's bad direction: at most 1.25× a cost, at least 1/1.25 of a rate.
 */
export function withinPolicyCost(ratio: number, better: ResultRow["better"]): boolean {
  return better === "lower" ? ratio <= POLICY_COST_LIMIT : ratio >= 1 / POLICY_COST_LIMIT;
}
