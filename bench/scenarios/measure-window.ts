/** What a closed-loop window did. */
export interface WindowResult {
  /** Operations completed (calls, messages or round trips). */
  ops: number;
  elapsedMs: number;
  /** Client CPU time, user + system, from process.cpuUsage. */
  cpuUs: number;
}

/**
 * Runs `op` in `concurrency` loops for `durationMs`: each loop starts its next
 * operation when the last one finished (closed loop). `op` returns how many
 * operations it completed. Operations running at the deadline finish and
 * count; time and CPU run until the last one did.
 */
export async function measureWindow(op: () => Promise<number>, concurrency: number, durationMs: number): Promise<WindowResult> {
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const end = start + durationMs;
  let ops = 0;
  const loop = async () => {
    while (performance.now() < end) {
      // Not `ops += await op()`: that reads ops before awaiting and loses the other loops' counts.
      const done = await op();
      ops += done;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { ops, elapsedMs, cpuUs: cpu.user + cpu.system };
}

/** Per second and CPU µs per operation. */
export function rates(window: WindowResult): { perSec: number; cpuUsPerOp: number } {
  if (window.ops === 0) throw new Error(`no operation completed in ${window.elapsedMs.toFixed(0)} ms`);
  return { perSec: (window.ops * 1000) / window.elapsedMs, cpuUsPerOp: window.cpuUs / window.ops };
}
