/** What a closed-loop window did. */
export interface WindowResult {
  /** Operations completed (calls, messages or round trips). */
  ops: number;
  /** Calls of `op` completed (calls for unary, streams for streaming). */
  calls: number;
  elapsedMs: number;
  /** Client CPU time, user + system, from process.cpuUsage. */
  cpuUs: number;
  /** Whether `minCalls` completed; false when the window ended at `maxDurationMs` first. */
  minCallsMet: boolean;
}

/** How long a window lasts: at least `durationMs` and `minCalls` calls, at most `maxDurationMs`. */
export interface WindowBounds {
  durationMs: number;
  /** Calls of `op` the window completes before it may end, unless maxDurationMs comes first. Defaults to 0. */
  minCalls?: number;
  /** No call starts after this; defaults to durationMs. */
  maxDurationMs?: number;
}

/** The clock, injectable for tests. Defaults to performance.now. */
export type WindowClock = () => number;

/**
 * Runs `op` in `concurrency` loops (closed loop: each loop starts its next
 * call when its last one finished). `op` returns how many operations it
 * completed. The window ends when `durationMs` has passed AND `minCalls`
 * calls were started, so a slow, busy machine still measures enough calls
 * for a stable per-call figure; no call starts after `maxDurationMs`, so
 * it cannot run forever (then `minCallsMet` is false). Calls running at
 * the end finish and count; time and CPU run until the last one did.
 */
export async function measureWindow(
  op: () => Promise<number>,
  concurrency: number,
  bounds: WindowBounds,
  now: WindowClock = () => performance.now(),
): Promise<WindowResult> {
  const { durationMs, minCalls = 0, maxDurationMs = durationMs } = bounds;
  if (maxDurationMs < durationMs) throw new Error(`maxDurationMs (${maxDurationMs}) must be at least durationMs (${durationMs})`);
  const start = now();
  const cpuBefore = process.cpuUsage();
  const end = start + durationMs;
  const hardEnd = start + maxDurationMs;
  let ops = 0;
  let started = 0;
  let calls = 0;
  const loop = async () => {
    for (let t = now(); (t < end || started < minCalls) && t < hardEnd; t = now()) {
      started++;
      // Not `ops += await op()`: that reads ops before awaiting and loses the other loops' counts.
      const done = await op();
      ops += done;
      calls++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedMs = now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { ops, calls, elapsedMs, cpuUs: cpu.user + cpu.system, minCallsMet: calls >= minCalls };
}

/** Per second and CPU µs per operation. */
export function rates(window: WindowResult): { perSec: number; cpuUsPerOp: number } {
  if (window.ops === 0) throw new Error(`no operation completed in ${window.elapsedMs.toFixed(0)} ms`);
  return { perSec: (window.ops * 1000) / window.elapsedMs, cpuUsPerOp: window.cpuUs / window.ops };
}

/** The figures every measured window adds to its scenario's result (in the JSON; the table notes short windows). */
export function windowFigures(window: WindowResult): { windowCalls: number; minCallsMet: number } {
  return { windowCalls: window.calls, minCallsMet: window.minCallsMet ? 1 : 0 };
}

/**
 * The bounds of a warm-up: at least `warmupMs` and `warmupCalls` calls,
 * no call started after `maxDurationMs` (the window's own bound, so a slow
 * stack cannot make its warm-up unbounded).
 */
export function warmupBounds(spec: { warmupMs: number; warmupCalls: number; maxDurationMs: number }): WindowBounds {
  return { durationMs: spec.warmupMs, minCalls: spec.warmupCalls, maxDurationMs: Math.max(spec.warmupMs, spec.maxDurationMs) };
}
