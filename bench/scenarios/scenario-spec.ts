import type { MessageSize } from "../protocol/bench-messages.js";
import type { StackName } from "../stacks/bench-client.js";

/**
 * How long a measured window lasts (see measureWindow): at least
 * `durationMs` and at least `minCalls` calls, and no call starts after
 * `maxDurationMs`. The warm-up before it lasts at least `warmupMs` and
 * `warmupCalls` calls, with the same upper bound.
 */
export interface WindowSpec {
  warmupMs: number;
  /**
   * Calls (streams) the warm-up completes. V8 optimizes a function after
   * enough calls of it, not after some time, and its compiler threads bill
   * their CPU to the process: a warm-up of too few calls left compile jobs
   * of 30–55 ms each (Node's `request`, protobuf-es's `readMessage`, our
   * `runUnary`) inside the measured window, on the one CPU the client is
   * pinned to.
   */
  warmupCalls: number;
  durationMs: number;
  /** Calls (streams, for the streaming scenarios) the window completes, unless maxDurationMs comes first. */
  minCalls: number;
  maxDurationMs: number;
}

/** Closed loop: `concurrency` calls always in flight. */
export interface UnarySpec extends WindowSpec {
  kind: "unary";
  name: string;
  size: MessageSize;
  concurrency: number;
}

/** The longest the closed-loop warm-up before a fixed-rate window may take. */
export const LATENCY_WARMUP_MAX_MS = 4_000;

/** Open loop: calls start at a fixed rate whatever the answers do, so slow calls cannot hide the tail. */
export interface LatencySpec {
  kind: "latency";
  name: string;
  size: MessageSize;
  ratePerSec: number;
  /** The closed-loop warm-up (16 in flight): at least this long and this many calls (see WindowSpec.warmupCalls), within 4 s. */
  warmupMs: number;
  warmupCalls: number;
  /** The window: ratePerSec × durationMs / 1000 calls (bench-plan makes that at least minCalls, within its time bound). */
  durationMs: number;
  /** Calls the window should make; fewer means its time bound cut it short (reported, not failed). */
  minCalls: number;
}

/** Streams one after the other, each of `messagesPerStream` messages (round trips for bidi). */
export interface StreamingSpec extends WindowSpec {
  kind: "server-stream" | "client-stream" | "bidi";
  name: string;
  messagesPerStream: number;
}

/** `streams` held WatchUsers streams open at once, memory measured after GC. */
export interface OpenStreamsSpec {
  kind: "open-streams";
  name: string;
  streams: number;
  /** Streams being opened at the same time. */
  openConcurrency: number;
  /** No stream starts opening after this many ms; the figures are per stream that opened. */
  openTimeoutMs: number;
  /** Streams still opening at openTimeoutMs get this much longer for their first event, then are left out. */
  openGraceMs: number;
}

/** Process start to the first GetUser answer, in a fresh process. */
export interface ColdStartSpec {
  kind: "cold-start";
  name: string;
}

/** One scenario as the orchestrator hands it to a child. */
export type ScenarioSpec = UnarySpec | LatencySpec | StreamingSpec | OpenStreamsSpec | ColdStartSpec;

/** What a child process runs: one stack, its scenarios in order. */
export interface ChildJob {
  stack: StackName;
  baseUrl: string;
  scenarios: ScenarioSpec[];
}

/** One scenario's figures (metric name to value, see report/metrics.ts). */
export interface ScenarioResult {
  scenario: string;
  metrics: Record<string, number>;
  /** Operations done in the process for this scenario, warm-up included (to put a CPU profile per call). */
  ops: number;
}
