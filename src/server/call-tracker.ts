import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Counts calls in flight and refuses new ones once draining starts. */
export interface CallTracker {
  readonly interceptor: Interceptor;
  /** Calls in flight, by kind; `unary` counts only unary methods. */
  active(): { unary: number; streams: number };
  /** From now on new calls fail with UNAVAILABLE. */
  refuseNewCalls(): void;
  /** Resolves when no unary call is in flight, or after `ms`. */
  unaryDrained(ms: number): Promise<void>;
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

  const endUnary = () => {
    unary--;
    if (unary === 0) for (const wake of waiters) wake();
  };

  const interceptor: Interceptor = (next) => async (req) => {
    if (refusing) throw new ConnectError("server is shutting down", Code.Unavailable);
    if (req.method.methodKind === "unary") {
      unary++;
      try {
        return await next(req);
      } finally {
        endUnary();
      }
    }
    streams++;
    let res;
    try {
      res = await next(req);
    } catch (e) {
      streams--;
      throw e;
    }
    if (!res.stream) {
      streams--;
      return res;
    }
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
        } finally {
          streams--;
        }
      })(),
    };
  };

  return {
    interceptor,
    active: () => ({ unary, streams }),
    refuseNewCalls() {
      refusing = true;
    },
    unaryDrained(ms) {
      if (unary === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
      });
    },
  };
}
