import { MESSAGE_SIZES, type MessageSize } from "../protocol/bench-messages.js";
import type { ScenarioSpec, UnarySpec } from "../scenarios/scenario-spec.js";

/** `npm run bench` is "full"; `npm run bench:quick` (CI) is "quick": fewer repeats, shorter windows, 1,000 open streams. */
export type BenchMode = "full" | "quick";

/** Unary calls in flight for the closed-loop scenarios. */
export const CONCURRENCIES = [1, 16, 128] as const;

/** How long and how often each mode measures. */
export interface ModeSettings {
  /** Times each (stack, scenario) runs, each time in a fresh process, in a random order per round. */
  repeats: number;
  unary: { firstWarmupMs: number; warmupMs: number; durationMs: number };
  streaming: { warmupMs: number; durationMs: number; serverMessages: number; clientMessages: number; bidiRounds: number };
  openStreams: { streams: number; openConcurrency: number };
  latency: {
    warmupMs: number;
    /** The window lasts long enough for targetSamples calls at the rate, within these bounds. */
    minDurationMs: number;
    maxDurationMs: number;
    targetSamples: number;
    /** The fixed rate is this fraction of the slowest stack's best closed-loop calls/s for the size, measured in the same run. */
    rateFraction: number;
  };
}

export const MODE_SETTINGS: Readonly<Record<BenchMode, ModeSettings>> = {
  full: {
    repeats: 5,
    unary: { firstWarmupMs: 300, warmupMs: 100, durationMs: 400 },
    streaming: { warmupMs: 200, durationMs: 500, serverMessages: 1000, clientMessages: 1000, bidiRounds: 200 },
    openStreams: { streams: 10_000, openConcurrency: 200 },
    latency: { warmupMs: 200, minDurationMs: 800, maxDurationMs: 1200, targetSamples: 800, rateFraction: 0.4 },
  },
  quick: {
    repeats: 2,
    unary: { firstWarmupMs: 100, warmupMs: 50, durationMs: 150 },
    streaming: { warmupMs: 100, durationMs: 200, serverMessages: 500, clientMessages: 500, bidiRounds: 100 },
    openStreams: { streams: 1_000, openConcurrency: 200 },
    latency: { warmupMs: 100, minDurationMs: 300, maxDurationMs: 500, targetSamples: 300, rateFraction: 0.4 },
  },
};

/** Scenarios that run together in one child process, in this order. */
export interface Family {
  name: "unary" | "streaming" | "open-streams" | "cold-start" | "latency";
  scenarios: ScenarioSpec[];
  /** Hard bound on the child process. */
  timeoutMs: number;
}

export const unaryName = (size: MessageSize, concurrency: number) => `unary-${size}-c${concurrency}`;
export const latencyName = (size: MessageSize) => `latency-${size}`;

/** Every scenario name, in table order. */
export const SCENARIO_NAMES: readonly string[] = [
  ...MESSAGE_SIZES.flatMap((size) => CONCURRENCIES.map((c) => unaryName(size, c))),
  ...MESSAGE_SIZES.map(latencyName),
  "server-stream",
  "client-stream",
  "bidi-ping-pong",
  "open-streams",
  "cold-start",
];

/** The families measured first (closed loop, streams, memory, cold start); latency needs their throughput for its rates. */
export function throughputFamilies(mode: BenchMode): Family[] {
  const s = MODE_SETTINGS[mode];
  const unary: UnarySpec[] = MESSAGE_SIZES.flatMap((size) =>
    CONCURRENCIES.map((concurrency) => ({ kind: "unary" as const, name: unaryName(size, concurrency), size, concurrency, warmupMs: s.unary.warmupMs, durationMs: s.unary.durationMs })),
  );
  // The first scenario also warms the process up (JIT, connection).
  unary[0] = { ...unary[0]!, warmupMs: s.unary.firstWarmupMs };
  const stream = s.streaming;
  const streaming: ScenarioSpec[] = [
    { kind: "server-stream", name: "server-stream", messagesPerStream: stream.serverMessages, warmupMs: stream.warmupMs, durationMs: stream.durationMs },
    { kind: "client-stream", name: "client-stream", messagesPerStream: stream.clientMessages, warmupMs: stream.warmupMs, durationMs: stream.durationMs },
    { kind: "bidi", name: "bidi-ping-pong", messagesPerStream: stream.bidiRounds, warmupMs: stream.warmupMs, durationMs: stream.durationMs },
  ];
  return [
    { name: "unary", scenarios: unary, timeoutMs: boundFor(unary) },
    { name: "streaming", scenarios: streaming, timeoutMs: boundFor(streaming) },
    { name: "open-streams", scenarios: [{ kind: "open-streams", name: "open-streams", ...s.openStreams }], timeoutMs: 90_000 },
    { name: "cold-start", scenarios: [{ kind: "cold-start", name: "cold-start" }], timeoutMs: 20_000 },
  ];
}

/** The fixed-rate latency family at the given calls per second for each size. */
export function latencyFamily(mode: BenchMode, rates: Readonly<Record<MessageSize, number>>): Family {
  const s = MODE_SETTINGS[mode].latency;
  const scenarios: ScenarioSpec[] = MESSAGE_SIZES.map((size) => ({
    kind: "latency",
    name: latencyName(size),
    size,
    ratePerSec: rates[size],
    warmupMs: s.warmupMs,
    durationMs: Math.round(Math.min(s.maxDurationMs, Math.max(s.minDurationMs, (s.targetSamples / rates[size]) * 1000))),
  }));
  return { name: "latency", scenarios, timeoutMs: boundFor(scenarios) };
}

/**
 * One scenario for a CPU profile: the full-mode spec with a long window, so
 * that start-up is a small part of the profile.
 */
export function profileSpec(name: string, ratePerSec: number, durationMs: number): ScenarioSpec {
  const rates = Object.fromEntries(MESSAGE_SIZES.map((size) => [size, ratePerSec])) as Record<MessageSize, number>;
  const spec = [...throughputFamilies("full"), latencyFamily("full", rates)].flatMap((f) => f.scenarios).find((s) => s.name === name);
  if (spec === undefined) throw new Error(`unknown scenario "${name}"; one of: ${SCENARIO_NAMES.join(", ")}`);
  if ("durationMs" in spec) return { ...spec, warmupMs: 1_000, durationMs };
  return spec;
}

/** Twice the planned time plus 20 s for start-up, slow machines and the last calls to finish. */
function boundFor(scenarios: ScenarioSpec[]): number {
  const planned = scenarios.reduce((ms, s) => ms + ("durationMs" in s ? s.warmupMs + s.durationMs : 0), 0);
  return 2 * planned + 20_000;
}
