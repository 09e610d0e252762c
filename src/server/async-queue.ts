/** A FIFO whose reader can wait for the next item, abortably. */
export interface AsyncQueue<T> {
  push(item: T): void;
  readonly size: number;
  /** The next item; undefined once `signal` is aborted and the queue is empty. */
  take(signal: AbortSignal): Promise<T | undefined>;
}

/**
 * Feeds long-lived streams (WatchUsers, Health/Watch) from synchronous
 * listeners. Items queued before an abort are still handed out, so a final
 * status pushed right before shutdown reaches the client.
 */
export function createAsyncQueue<T>(): AsyncQueue<T> {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  return {
    push(item) {
      items.push(item);
      wake?.();
    },
    get size() {
      return items.length;
    },
    async take(signal) {
      while (items.length === 0) {
        if (signal.aborted) return undefined;
        await new Promise<void>((resolve) => {
          const done = () => {
            signal.removeEventListener("abort", done);
            wake = undefined;
            resolve();
          };
          wake = done;
          signal.addEventListener("abort", done);
        });
      }
      return items.shift();
    },
  };
}
