/**
 * A request stream for ping-pong: it yields the next request only after the
 * previous one was answered, so exactly one round trip is in flight.
 */
export interface PingPongRequests<T> {
  readonly requests: AsyncIterable<T>;
  /** Call for every response received. */
  answered(): void;
}

/** Yields `message` `rounds` times, each after the previous one was answered, then ends. */
export function createPingPongRequests<T>(rounds: number, message: T): PingPongRequests<T> {
  let answers = 0;
  let wake: (() => void) | undefined;
  return {
    requests: (async function* () {
      for (let sent = 0; sent < rounds; sent++) {
        yield message;
        while (answers <= sent) await new Promise<void>((resolve) => (wake = resolve));
      }
    })(),
    answered() {
      answers++;
      wake?.();
      wake = undefined;
    },
  };
}
