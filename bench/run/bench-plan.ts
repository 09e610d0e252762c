import { MESSAGE_SIZES, type MessageSize } from "../protocol/bench-messages.js";
import { LATENCY_WARMUP_MAX_MS, type ScenarioSpec, type UnarySpec } from "../scenarios/scenario-spec.js";

/** `npm run bench` is "full"; `npm run bench:quick` (CI) is "quick": fewer repeats, shorter windows, 1,000 open streams. */
export type BenchMode = "full" | "quick";

/** Unary calls in flight for the closed-loop scenarios. */
export const CONCURRENCIES = [1, 16, 128] as const;

/**
 * A measured window: it ends once `durationMs` has passed AND `minCalls`
 * calls (streams, for the streaming scenarios) completed, and no call
 * starts after `maxDurationMs` (see scenarios/measure-window.ts). A slow,
 * busy machine thus measures more time rather than fewer calls.
 */
export interface WindowSettings {
  warmupMs: number;
  /** The warm-up also completes this many calls (streams): see WindowSpec.warmupCalls. */
  warmupCalls: number;
  durationMs: number;
  minCalls: number;
  maxDurationMs: number;
}

/** How long and how often each mode measures. */
export interface ModeSettings {
  /** Times each (stack, scenario) runs, each time in a fresh process, in a random order per round. */
  repeats: number;
  /** firstWarmupMs and firstWarmupCalls replace warmupMs and warmupCalls for the first scenario of a process (JIT, connection). */
  unary: WindowSettings & { firstWarmupMs: number; firstWarmupCalls: number };
  streaming: WindowSettings & { serverMessages: number; clientMessages: number; bidiRounds: number };
  openStreams: {
    streams: number;
    /** Streams being opened at the same time. */
    openConcurrency: number;
    /** No stream starts opening after this; the figures count the streams that opened (see scenarios/open-held-streams.ts). */
    openTimeoutMs: number;
    /** How much longer the streams already opening at openTimeoutMs get to receive their first event. */
    openGraceMs: number;
  };
  latency: {
    warmupMs: number;
    warmupCalls: number;
    /**
     * The fixed-rate window makes at least minCalls calls and lasts at least
     * minDurationMs, but no longer than maxDurationMs (fewer calls are then
     * reported, see report/shortfall-notes.ts).
     */
    minDurationMs: number;
    minCalls: number;
    maxDurationMs: number;
    /** The fixed rate is this fraction of the slowest stack's best closed-loop calls/s for the size, measured in the same run. */
    rateFraction: number;
  };
}

export const MODE_SETTINGS: Readonly<Record<BenchMode, ModeSettings>> = {
  full: {
    repeats: 5,
    // Warm-ups of a number of calls, not only of time: see WindowSpec.warmupCalls.
    unary: {
      firstWarmupMs: 300,
      firstWarmupCalls: 2_000,
      warmupMs: 100,
      warmupCalls: 300,
      // 1.5 s, not 400 ms: a 400 ms window holds a handful of scavenges
      // (8-11 ms each, every 60-80 ms at c128), and on this shared machine one
      // stack's five samples spread 170-259 µs per call at c16 (grpc-js
      // 209-390); at 1.5 s they spread 142-199 (grpc-js 215-322). Measured
      // with the bench's own unary children, 5 interleaved rounds each.
      durationMs: 1_500,
      minCalls: 500,
      maxDurationMs: 4_000,
    },
    streaming: {
      warmupMs: 200,
      warmupCalls: 3,
      // 1.5 s for the same reason as the unary windows: 500 ms was 25-50 server streams.
      durationMs: 1_500,
      minCalls: 10,
      maxDurationMs: 4_000,
      serverMessages: 1000,
      clientMessages: 1000,
      bidiRounds: 200,
    },
    openStreams: { streams: 10_000, openConcurrency: 200, openTimeoutMs: 60_000, openGraceMs: 5_000 },
    latency: { warmupMs: 200, warmupCalls: 1_500, minDurationMs: 800, minCalls: 800, maxDurationMs: 4_000, rateFraction: 0.4 },
  },
  quick: {
    repeats: 2,
    // Shorter windows than before the minimum of calls existed: that minimum now keeps a busy machine's windows meaningful.
    // A tight upper bound: CI only needs every number, and a loaded machine must not double its time.
    unary: { firstWarmupMs: 100, firstWarmupCalls: 0, warmupMs: 50, warmupCalls: 0, durationMs: 100, minCalls: 100, maxDurationMs: 500 },
    streaming: {
      warmupMs: 100,
      warmupCalls: 0,
      durationMs: 100,
      minCalls: 3,
      maxDurationMs: 500,
      serverMessages: 500,
      clientMessages: 500,
      bidiRounds: 100,
    },
    openStreams: { streams: 1_000, openConcurrency: 200, openTimeoutMs: 15_000, openGraceMs: 2_000 },
    latency: { warmupMs: 100, warmupCalls: 0, minDurationMs: 200, minCalls: 100, maxDurationMs: 600, rateFraction: 0.4 },
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
    CONCURRENCIES.map((concurrency) => ({
      kind: "unary" as const,
      name: unaryName(size, concurrency),
      size,
      concurrency,
      ...windowOf(s.unary),
    })),
  );
  // The first scenario also warms the process up (JIT, connection).
  unary[0] = { ...unary[0]!, warmupMs: s.unary.firstWarmupMs, warmupCalls: s.unary.firstWarmupCalls };
  const stream = s.streaming;
  const streaming: ScenarioSpec[] = [
    { kind: "server-stream", name: "server-stream", messagesPerStream: stream.serverMessages, ...windowOf(stream) },
    { kind: "client-stream", name: "client-stream", messagesPerStream: stream.clientMessages, ...windowOf(stream) },
    { kind: "bidi", name: "bidi-ping-pong", messagesPerStream: stream.bidiRounds, ...windowOf(stream) },
  ];
  const open = s.openStreams;
  return [
    { name: "unary", scenarios: unary, timeoutMs: boundFor(unary) },
    { name: "streaming", scenarios: streaming, timeoutMs: boundFor(streaming) },
    // Beyond opening: start-up, warm-up, GC and ending every stream, far quicker than opening on every stack.
    {
      name: "open-streams",
      scenarios: [{ kind: "open-streams", name: "open-streams", ...open }],
      timeoutMs: open.openTimeoutMs + open.openGraceMs + 60_000,
    },
    { name: "cold-start", scenarios: [{ kind: "cold-start", name: "cold-start" }], timeoutMs: 20_000 },
  ];
}

/**
 * The fixed-rate latency family at the given calls per second for each
 * size: each window lasts long enough for minCalls calls at its rate, at
 * least minDurationMs and at most maxDurationMs.
 */
export function latencyFamily(mode: BenchMode, rates: Readonly<Record<MessageSize, number>>): Family {
  const s = MODE_SETTINGS[mode].latency;
  const scenarios: ScenarioSpec[] = MESSAGE_SIZES.map((size) => ({
    kind: "latency",
    name: latencyName(size),
    size,
    ratePerSec: rates[size],
    warmupMs: s.warmupMs,
    warmupCalls: s.warmupCalls,
    durationMs: Math.round(Math.min(s.maxDurationMs, Math.max(s.minDurationMs, (s.minCalls / rates[size]) * 1000))),
    minCalls: s.minCalls,
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
  if (spec.kind === "latency") return { ...spec, warmupMs: 1_000, durationMs };
  if ("maxDurationMs" in spec) return { ...spec, warmupMs: 1_000, durationMs, maxDurationMs: Math.max(spec.maxDurationMs, durationMs) };
  return spec;
}

/** The longest a scenario's warm-up and window may take (0 for those without a window). */
export function longestMs(spec: ScenarioSpec): number {
  if ("maxDurationMs" in spec) return Math.max(spec.warmupMs, spec.maxDurationMs) + spec.maxDurationMs;
  if (spec.kind === "latency") return Math.max(spec.warmupMs, spec.warmupCalls > 0 ? LATENCY_WARMUP_MAX_MS : 0) + spec.durationMs;
  return 0;
}

/** The window settings of a mode, as a spec's fields. */
function windowOf(w: WindowSettings): WindowSettings {
  return {
    warmupMs: w.warmupMs,
    warmupCalls: w.warmupCalls,
    durationMs: w.durationMs,
    minCalls: w.minCalls,
    maxDurationMs: w.maxDurationMs,
  };
}

/** Twice the longest time planned plus 20 s for start-up, slow machines and the last calls to finish. */
function boundFor(scenarios: ScenarioSpec[]): number {
  return 2 * scenarios.reduce((ms, s) => ms + longestMs(s), 0) + 20_000;
}
