/** How a figure reads: its label with unit, and which direction is better. */
export interface MetricDefinition {
  readonly label: string;
  readonly better: "lower" | "higher";
}

/** Every metric a child reports, by key. */
export const METRICS: Readonly<Record<string, MetricDefinition>> = {
  callsPerSec: { label: "calls/s", better: "higher" },
  cpuUsPerCall: { label: "CPU µs/call", better: "lower" },
  p50Ms: { label: "latency p50 ms", better: "lower" },
  p99Ms: { label: "latency p99 ms", better: "lower" },
  ratePerSec: { label: "fixed rate calls/s", better: "higher" },
  achievedPerSec: { label: "achieved calls/s", better: "higher" },
  msgsPerSec: { label: "msgs/s", better: "higher" },
  cpuUsPerMsg: { label: "CPU µs/msg", better: "lower" },
  roundTripsPerSec: { label: "round trips/s", better: "higher" },
  cpuUsPerRoundTrip: { label: "CPU µs/round trip", better: "lower" },
  heapBytesPerStream: { label: "heap B/stream", better: "lower" },
  rssBytesPerStream: { label: "RSS B/stream", better: "lower" },
  openMs: { label: "ms to open all", better: "lower" },
  streamsOpened: { label: "streams opened within the time bound", better: "higher" },
  allStreamsOpened: { label: "1 if every stream opened within the time bound, else 0", better: "higher" },
  coldStartMs: { label: "ms to first call", better: "lower" },
  windowCalls: { label: "calls in the measured window (streams for streaming)", better: "higher" },
  minCallsMet: { label: "1 if the window reached its minimum of calls, 0 if its time bound cut it short", better: "higher" },
};

/** The metrics the table shows for a scenario (the JSON has every one). */
export function shownMetrics(scenario: string): string[] {
  if (scenario.startsWith("unary-")) return ["callsPerSec", "cpuUsPerCall"];
  if (scenario.startsWith("latency-")) return ["p50Ms", "p99Ms"];
  if (scenario === "server-stream" || scenario === "client-stream") return ["msgsPerSec", "cpuUsPerMsg"];
  if (scenario === "bidi-ping-pong") return ["roundTripsPerSec", "cpuUsPerRoundTrip"];
  if (scenario === "open-streams") return ["heapBytesPerStream", "rssBytesPerStream", "openMs"];
  if (scenario === "cold-start") return ["coldStartMs"];
  throw new Error(`no metrics defined for scenario "${scenario}"`);
}
