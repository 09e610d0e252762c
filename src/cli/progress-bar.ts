/** A one-line progress display, redrawn in place with `\r`. */
export interface ProgressBar {
  /** Shows that `done` items were processed; redraws at most every 50 ms. */
  update(done: number): void;
  /** Erases the line, so what follows starts on a clean one. */
  finish(): void;
}

const WIDTH = 30;
const REDRAW_MS = 50;

/**
 * A progress bar on `stream` (a TTY): `[######------] 12/30 users` when the
 * total is known, `12 users` otherwise.
 */
export function createProgressBar(stream: NodeJS.WriteStream, total: number | undefined, now: () => number = Date.now): ProgressBar {
  let drawnAt = -Infinity;
  let drawn = false;
  return {
    update(done) {
      const t = now();
      if (t - drawnAt < REDRAW_MS && done !== total) return;
      drawnAt = t;
      drawn = true;
      stream.write(`\r${render(done, total)}\x1b[K`);
    },
    finish() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}

/** The text of the bar, without control characters. */
export function render(done: number, total: number | undefined): string {
  if (total === undefined || total === 0) return `${done} users`;
  const filled = Math.round((WIDTH * Math.min(done, total)) / total);
  return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${done}/${total} users`;
}
