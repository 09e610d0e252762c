import type { MessageSize } from "../protocol/bench-messages.js";
import type { BenchMode, ModeSettings } from "../run/bench-plan.js";
import type { StackName } from "../stacks/bench-client.js";
import type { BundleSizes } from "./bundle-sizes.js";
import type { ResultRow } from "./collect-results.js";
import type { GoalResult } from "./goals.js";

/** bench/results/latest.json: everything a run measured, raw samples included. */
export interface ResultsDocument {
  mode: BenchMode;
  seed: number;
  startedAt: string;
  durationSec: number;
  node: string;
  machine: { platform: string; arch: string; cpus: number; cpuModel: string; totalMemBytes: number; loadAverageAtStart: number[] };
  /** e.g. "server on CPU 1, clients on CPU 0", or "none (no taskset)". */
  pinning: string;
  /** "fresh", "rebuilt" or "stale" (--no-build with dist/ older than src/). */
  libraryBuild: string;
  settings: ModeSettings;
  /** Fixed rates of the latency scenarios, calls/s. */
  latencyRates: Record<MessageSize, number>;
  stacks: readonly StackName[];
  /** How each stack connects, for the reader. */
  connections: string;
  /** Median, spread, samples and ratios (÷ grpc-js, ÷ raw-http2, ÷ grpc-js-full, ÷ ours-bare) per scenario, metric and stack. */
  results: ResultRow[];
  /** The goals of issue #12 judged on this run: ours-full's ratio, its target, met or not. */
  goals: GoalResult[];
  /** From bench/bundle-size/bundle-size.json. */
  bundleSizes: BundleSizes | undefined;
}
