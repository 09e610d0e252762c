import { quantile, sortedCopy } from "../stats.js";
import type { BenchClient } from "../stacks/bench-client.js";
import { runFixedRate } from "./fixed-rate-load.js";
import { measureWindow, warmupBounds } from "./measure-window.js";
import { LATENCY_WARMUP_MAX_MS, type LatencySpec, type ScenarioResult } from "./scenario-spec.js";

/** GetUser at a fixed rate (open loop), after a closed-loop warm-up: latency p50 and p99 from each call's scheduled start. */
export async function runUnaryLatency(client: BenchClient, spec: LatencySpec): Promise<ScenarioResult> {
  const warmup = await measureWindow(
    async () => {
      await client.unary(spec.size);
      return 1;
    },
    16,
    warmupBounds({ ...spec, maxDurationMs: LATENCY_WARMUP_MAX_MS }),
  );
  const result = await runFixedRate(() => client.unary(spec.size), spec.ratePerSec, spec.durationMs);
  const sorted = sortedCopy(result.latenciesMs);
  return {
    scenario: spec.name,
    metrics: {
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      ratePerSec: spec.ratePerSec,
      achievedPerSec: result.achievedPerSec,
      cpuUsPerCall: result.cpuUs / sorted.length,
      windowCalls: sorted.length,
      minCallsMet: sorted.length >= spec.minCalls ? 1 : 0,
    },
    ops: warmup.ops + sorted.length,
  };
}
