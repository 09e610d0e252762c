import { Code, ConnectError, type Interceptor, type StreamResponse, type UnaryResponse } from "@connectrpc/connect";
import { onStreamEnd } from "../transport/on-stream-end.js";

/** Counts calls in flight and refuses new ones once draining starts. */
export interface CallTracker {
  readonly interceptor: Interceptor;
  /** Calls in flight, by kind; `unary` counts only unary methods. */
  active(): { unary: number; streams: number };
  /** From now on new calls fail with UNAVAILABLE. */
  refuseNewCalls(): void;
  /** Resolves when no unary call is in flight, or after `ms`. */
  unaryDrained(ms: number): Promise<void>;
  /** Resolves when no call at all is in flight, or after `ms`. */
  allDrained(ms: number): Promise<void>;
}

/**
 * The outermost server interceptor: it knows which calls are in flight so
 * graceful shutdown can let unary calls finish and then cancel streams.
 */
export function createCallTracker(): CallTracker {
  let unary = 0;
  let streams = 0;
  let refusing = false;
  const waiters = new Set<() => void>();

  const waitUntil = (idle: () => boolean, ms: number) => {
    if (idle()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const check = () => {
        if (!idle()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve();
      }, ms);
      waiters.add(check);
    });
  };
  const changed = () => {
    for (const check of [...waiters]) check();
  };
  const endUnary = () => {
    unary--;
    changed();
  };
  const endStream = () => {
    streams--;
    changed();
  };

  const interceptor: Interceptor = (next) => async (req) => {
    if (refusing) throw new ConnectError("server is shutting down", Code.Unavailable);
    if (req.method.methodKind === "unary") {
      unary++;
      try {
        return await untilAborted(next(req), req.signal);
      } finally {
        endUnary();
      }
    }
    streams++;
    let res: UnaryResponse | StreamResponse;
    try {
      res = await next(req);
    } catch (e) {
      endStream();
      throw e;
    }
    if (!res.stream) {
      endStream();
      return res;
    }
    return onStreamEnd(res, endStream);
  };

  return {
    interceptor,
    active: () => ({ unary, streams }),
    refuseNewCalls() {
      refusing = true;
    },
    unaryDrained: (ms) => waitUntil(() => unary === 0, ms),
    allDrained: (ms) => waitUntil(() => unary === 0 && streams === 0, ms),
  };
}

/**
 * Settles with `work`, or rejects with the signal's reason once it aborts
 * (shutdown past its grace period), so the client gets that status instead
 * of a reset stream while the abandoned handler runs out in the background.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  work.catch(() => {}); // the abandoned handler's late failure is nobody's to handle
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
