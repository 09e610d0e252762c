import type { BenchClient } from "../stacks/bench-client.js";
import { runOpenStreams } from "./open-streams.js";
import type { ScenarioResult, ScenarioSpec } from "./scenario-spec.js";
import { runStreamingThroughput } from "./streaming-throughput.js";
import { runUnaryLatency } from "./unary-latency.js";
import { runUnaryThroughput } from "./unary-throughput.js";

/** Runs one scenario on a client that is already connected (cold start is measured by the child itself). */
export function runScenario(client: BenchClient, spec: ScenarioSpec, baseUrl: string): Promise<ScenarioResult> {
  switch (spec.kind) {
    case "unary":
      return runUnaryThroughput(client, spec);
    case "latency":
      return runUnaryLatency(client, spec);
    case "server-stream":
    case "client-stream":
    case "bidi":
      return runStreamingThroughput(client, spec);
    case "open-streams":
      return runOpenStreams(client, spec, baseUrl);
    case "cold-start":
      throw new Error("cold-start runs alone in a fresh process, not on a connected client");
  }
}
