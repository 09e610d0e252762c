import type { BenchClient } from "../stacks/bench-client.js";
import { measureWindow, rates, warmupBounds, windowFigures } from "./measure-window.js";
import type { ScenarioResult, StreamingSpec } from "./scenario-spec.js";

/**
 * Streams one after another: server streaming (messages received per
 * second), client streaming (messages sent per second) or bidi ping-pong
 * (round trips per second), each with client CPU µs per message or round
 * trip, over at least spec.minCalls streams.
 */
export async function runStreamingThroughput(client: BenchClient, spec: StreamingSpec): Promise<ScenarioResult> {
  const n = spec.messagesPerStream;
  const stream = {
    "server-stream": () => client.serverStream(n),
    "client-stream": () => client.clientStream(n),
    bidi: () => client.bidiPingPong(n),
  }[spec.kind];
  const op = async () => {
    await stream();
    return n;
  };
  const warmup = await measureWindow(op, 1, warmupBounds(spec));
  const window = await measureWindow(op, 1, spec);
  const { perSec, cpuUsPerOp } = rates(window);
  const metrics = {
    ...(spec.kind === "bidi"
      ? { roundTripsPerSec: perSec, cpuUsPerRoundTrip: cpuUsPerOp }
      : { msgsPerSec: perSec, cpuUsPerMsg: cpuUsPerOp }),
    ...windowFigures(window),
  };
  return { scenario: spec.name, metrics, ops: warmup.ops + window.ops };
}
