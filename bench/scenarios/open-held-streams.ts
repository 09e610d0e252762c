import type { HeldStream } from "../stacks/bench-client.js";

/** How many held streams to open, how many at once, and for how long. */
export interface OpenHeldStreamsOptions {
  streams: number;
  /** Streams being opened at the same time. */
  concurrency: number;
  /** No stream starts opening after this. */
  openTimeoutMs: number;
  /** Streams still opening at openTimeoutMs get this much longer, then are left out. */
  openGraceMs: number;
}

/** What opening reached. */
export interface OpenedStreams {
  /** The streams that received their first event in time. */
  held: HeldStream[];
  /** From the first open to the last stream counted in `held`, or to the end of the grace. */
  openMs: number;
  /** Streams still opening when the grace ended: not counted, left to the process's end. */
  abandoned: number;
}

/**
 * Opens held streams, `concurrency` at a time, until `streams` are open or
 * `openTimeoutMs` has passed; the ones opening by then get `openGraceMs`
 * more. It resolves with what it reached instead of hanging, so that a busy
 * 2-core machine (10,000 streams through a slow stack) still gets a figure
 * per stream. Rejects with the first stream that fails to open.
 */
export async function openHeldStreams(open: () => Promise<HeldStream>, options: OpenHeldStreamsOptions): Promise<OpenedStreams> {
  const held: HeldStream[] = [];
  const started = performance.now();
  const stopAt = started + options.openTimeoutMs;
  // The openers waiting now, so that the end of the grace can release them. Not a
  // Promise.race against one shared promise: that keeps a reaction per stream alive
  // on it, which the heap per stream would count.
  const waiting = new Set<(stream: HeldStream | undefined) => void>();
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const stopTimer = setTimeout(() => {
    graceTimer = setTimeout(() => {
      for (const release of waiting) release(undefined);
    }, options.openGraceMs);
  }, options.openTimeoutMs);
  let next = 0;
  let abandoned = 0;
  const openOne = () =>
    new Promise<HeldStream | undefined>((resolve, reject) => {
      const settle = (stream: HeldStream | undefined) => {
        waiting.delete(settle);
        resolve(stream);
      };
      waiting.add(settle);
      open().then(settle, (error: unknown) => {
        // Once given up on, a stream failing is too late to fail the run.
        if (waiting.delete(settle)) reject(error);
      });
    });
  const opener = async () => {
    while (next < options.streams && performance.now() < stopAt) {
      next++;
      const stream = await openOne();
      if (stream === undefined) {
        abandoned++;
        return;
      }
      held.push(stream);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.streams) }, opener));
  } finally {
    clearTimeout(stopTimer);
    clearTimeout(graceTimer);
  }
  return { held, openMs: performance.now() - started, abandoned };
}
