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

const gaveUp = Symbol("gave up");

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
  let giveUp!: () => void;
  const givenUp = new Promise<typeof gaveUp>((resolve) => (giveUp = () => resolve(gaveUp)));
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const stopTimer = setTimeout(() => (graceTimer = setTimeout(giveUp, options.openGraceMs)), options.openTimeoutMs);
  let next = 0;
  let abandoned = 0;
  const opener = async () => {
    while (next < options.streams && performance.now() < stopAt) {
      next++;
      const opening = open();
      const result = await Promise.race([opening, givenUp]);
      if (result === gaveUp) {
        abandoned++;
        opening.catch(() => {}); // too late to count, and to fail the run
        return;
      }
      held.push(result);
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
