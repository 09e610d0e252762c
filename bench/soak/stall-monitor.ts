import { monitorEventLoopDelay } from "node:perf_hooks";

/** Event-loop stalls seen while the soak ran; see {@link startStallMonitor}. */
export interface StallMonitor {
  /** Milliseconds of [fromMs, toMs] (performance.now() times) the event loop spent stalled. */
  stalledMsWithin(fromMs: number, toMs: number): number;
  /** Stops both probes and returns the summary. */
  stop(): StallSummary;
}

/** What the loop's delay looked like over the run. */
export interface StallSummary {
  /** Stalls over the threshold, their sum and the longest, in ms. */
  stalls: number;
  stalledMs: number;
  longestMs: number;
  /** perf_hooks.monitorEventLoopDelay percentiles, in ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** How often the stall probe wakes, and how late it must be to count a stall. */
const TICK_MS = 10;
const STALL_MS = 20;
/** Room for this many stalls, allocated up front so the probe does not show in the heap figures. */
const CAPACITY = 8192;

/**
 * Measures event-loop stalls two ways: monitorEventLoopDelay for the
 * distribution, and a 10 ms timer that records each time it woke more than
 * 20 ms late as a stall interval, so that a call finishing late can be told
 * apart from a deadline that did not fire: if the loop was stalled for the
 * call's lateness, the timer could not have run sooner.
 */
export function startStallMonitor(): StallMonitor {
  const histogram = monitorEventLoopDelay({ resolution: TICK_MS });
  histogram.enable();
  const from = new Float64Array(CAPACITY);
  const to = new Float64Array(CAPACITY);
  let count = 0;
  let total = 0;
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - TICK_MS;
    if (late > STALL_MS) {
      const i = count % CAPACITY;
      from[i] = last + TICK_MS;
      to[i] = now;
      count++;
      total += late;
      longest = Math.max(longest, late);
    }
    last = now;
  }, TICK_MS);
  timer.unref();

  return {
    stalledMsWithin(fromMs, toMs) {
      let sum = 0;
      for (let k = Math.max(0, count - CAPACITY); k < count; k++) {
        const i = k % CAPACITY;
        const overlap = Math.min(toMs, to[i]!) - Math.max(fromMs, from[i]!);
        if (overlap > 0) sum += overlap;
      }
      return sum;
    },
    stop() {
      clearInterval(timer);
      histogram.disable();
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      return {
        stalls: count,
        stalledMs: Math.round(total),
        longestMs: Math.round(longest),
        p50Ms: ms(histogram.percentile(50)),
        p99Ms: ms(histogram.percentile(99)),
        maxMs: ms(histogram.max),
      };
    },
  };
}
