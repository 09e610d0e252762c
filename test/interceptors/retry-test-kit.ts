import { Code, type Client, type ConnectRouter, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import type { RetryClock } from "../../src/interceptors/backoff.js";
import { createRetryInterceptor } from "../../src/interceptors/retry-interceptor.js";
import type { RetryOptions } from "../../src/interceptors/retry-options.js";

/**
 * A manual clock. Time moves only when `run` finds nothing left to do but
 * wait for a timer, and then jumps exactly to that timer: delays and deadlines
 * come out exact, and a test takes no real time.
 */
export class FakeClock implements RetryClock {
  private time = 0;
  private nextHandle = 1;
  private readonly timers = new Map<number, { at: number; fire: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    const at = this.time + Math.max(0, ms);
    this.timers.set(handle, { at, fire: callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** How many timers are scheduled. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Lets in-memory calls run until they wait for nothing but timers. */
  async settle(): Promise<void> {
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Moves time to the earliest timer and fires it; false if there is none. */
  fireNext(): boolean {
    let next: [number, { at: number; fire: () => void }] | undefined;
    for (const entry of this.timers) {
      if (next === undefined || entry[1].at < next[1].at) next = entry;
    }
    if (next === undefined) return false;
    this.timers.delete(next[0]);
    this.time = next[1].at;
    next[1].fire();
    return true;
  }

  /** Drives `promise` to completion, firing timers whenever it waits. */
  async run<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await this.settle();
      if (settled) return promise;
      if (!this.fireNext()) throw new Error("call hangs with no timer left");
    }
  }
}

/** Returns the given numbers in turn, then repeats the last one. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] ?? 0;
}

/** Collects everything from a server stream, or the error that ended it. */
export async function drain<T>(stream: AsyncIterable<T>): Promise<{ messages: T[]; error?: unknown }> {
  const messages: T[] = [];
  try {
    for await (const message of stream) messages.push(message);
  } catch (error) {
    return { messages, error };
  }
  return { messages };
}

export interface Harness {
  readonly client: Client<typeof UserService>;
  readonly clock: FakeClock;
  /** What happened, in order: server attempts, retries, attempt ends. */
  readonly log: string[];
}

/**
 * A UserService client over an in-memory router with the retry interceptor:
 * `random` fixed at 0.5, a fake clock, and `onRetry` writing to the log.
 * `inner` interceptors run inside the retry interceptor, once per attempt.
 */
export function createHarness(
  routes: (router: ConnectRouter, harness: Harness) => void,
  options: RetryOptions = {},
  inner: Interceptor[] = [],
): Harness {
  const clock = new FakeClock();
  const log: string[] = [];
  const retry = createRetryInterceptor({
    random: () => 0.5,
    clock,
    onRetry: (e) =>
      log.push(`retry: attempt ${e.attempt} in ${e.delayMs}ms after ${Code[e.error.code]}${e.transparent ? " (transparent)" : ""}`),
    ...options,
  });
  const harness: { -readonly [K in keyof Harness]?: Harness[K] } = {
    clock,
    log,
  };
  const transport = createRouterTransport((router) => routes(router, harness as Harness), {
    transport: { interceptors: [retry, ...inner] },
  });
  harness.client = createClient(UserService, transport);
  return harness as Harness;
}
