import type { BenchClient } from "../stacks/bench-client.js";
import { measureWindow, rates, warmupBounds, windowFigures } from "./measure-window.js";
import type { ScenarioResult, UnarySpec } from "./scenario-spec.js";

/** Closed-loop GetUser at a fixed number of calls in flight: calls per second and client CPU µs per call, over at least spec.minCalls calls. */
export async function runUnaryThroughput(client: BenchClient, spec: UnarySpec): Promise<ScenarioResult> {
  const call = async () => {
    await client.unary(spec.size);
    return 1;
  };
  const warmup = await measureWindow(call, spec.concurrency, warmupBounds(spec));
  const window = await measureWindow(call, spec.concurrency, spec);
  const { perSec, cpuUsPerOp } = rates(window);
  return {
    scenario: spec.name,
    metrics: { callsPerSec: perSec, cpuUsPerCall: cpuUsPerOp, ...windowFigures(window) },
    ops: warmup.ops + window.ops,
  };
}
