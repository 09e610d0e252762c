/** What a fixed-rate run measured. */
export interface FixedRateResult {
  /** Each call's latency in ms, from its scheduled start (not its actual start) to its answer. */
  latenciesMs: Float64Array;
  /** Calls per second actually completed. */
  achievedPerSec: number;
  cpuUs: number;
}

/** The clock and timer, injectable for tests. */
export interface FixedRateClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
}

const systemClock: FixedRateClock = { now: () => performance.now(), setTimeout: (callback, ms) => setTimeout(callback, ms) };

/**
 * Open-loop load: call i is due at start + i / rate, whether or not earlier
 * calls answered, and its latency counts from that due time. So a stall
 * delays every call scheduled during it and shows in the tail, instead of
 * quietly lowering the rate ("coordinated omission"). Rejects on the first
 * failed call.
 */
export function runFixedRate(
  op: () => Promise<void>,
  ratePerSec: number,
  durationMs: number,
  clock: FixedRateClock = systemClock,
): Promise<FixedRateResult> {
  if (!(ratePerSec > 0)) throw new Error(`rate must be positive, got ${ratePerSec}`);
  const total = Math.max(1, Math.floor((ratePerSec * durationMs) / 1000));
  const intervalMs = 1000 / ratePerSec;
  const latenciesMs = new Float64Array(total);
  const cpuBefore = process.cpuUsage();
  const start = clock.now();
  let started = 0;
  let finished = 0;
  return new Promise((resolve, reject) => {
    let failed = false;
    const launch = () => {
      if (failed) return;
      const now = clock.now();
      while (started < total && start + started * intervalMs <= now) {
        const index = started++;
        const due = start + index * intervalMs;
        op().then(
          () => {
            latenciesMs[index] = clock.now() - due;
            if (++finished === total) {
              const cpu = process.cpuUsage(cpuBefore);
              resolve({ latenciesMs, achievedPerSec: (total * 1000) / (clock.now() - start), cpuUs: cpu.user + cpu.system });
            }
          },
          (error: unknown) => {
            failed = true;
            reject(error);
          },
        );
      }
      if (started < total) clock.setTimeout(launch, Math.max(0, start + started * intervalMs - clock.now()));
    };
    launch();
  });
}
