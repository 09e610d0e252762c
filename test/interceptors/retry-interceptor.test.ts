import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { UserService, WatchUsersResponseSchema } from "../../gen/user/v1/user_service_pb.js";
import { attemptCountKey } from "../../src/interceptors/attempt-count.js";
import type { RetryEvent } from "../../src/interceptors/retry-options.js";
import { retryableCallKey } from "../../src/interceptors/retryable-call.js";
import { createHarness, drain, type Harness, sequence } from "./retry-test-kit.js";

/**
 * Counts the attempts a handler sees and logs each one with the fake time and
 * the headers the retry interceptor wrote.
 */
function serverAttempts(h: Harness, name: string) {
  let attempts = 0;
  return (ctx: HandlerContext): number => {
    attempts++;
    const previous = ctx.requestHeader.get("grpc-previous-rpc-attempts");
    const timeout = ctx.requestHeader.get("connect-timeout-ms");
    h.log.push(
      `server: ${name} attempt ${attempts} at ${h.clock.now()}ms` +
        (previous === null ? "" : `, previous ${previous}`) +
        (timeout === null ? "" : `, timeout ${timeout}ms`),
    );
    return attempts;
  };
}

const unavailable = () => new ConnectError("busy", Code.Unavailable);

function pushback(value: string) {
  return new ConnectError("busy", Code.Unavailable, {
    "grpc-retry-pushback-ms": value,
  });
}

function retryInfo(seconds: bigint, nanos: number, metadata?: HeadersInit) {
  return new ConnectError("busy", Code.Unavailable, metadata, [{ desc: RetryInfoSchema, value: { retryDelay: { seconds, nanos } } }]);
}

/** A GetUser server that throws `failures[n - 1]` on attempt n, if any. */
function failingGetUser(failures: (ConnectError | undefined)[]) {
  return createHarness((router, h) => {
    const attempt = serverAttempts(h, "GetUser");
    router.service(UserService, {
      getUser(req, ctx) {
        const failure = failures[attempt(ctx) - 1];
        if (failure !== undefined) throw failure;
        return { user: { id: req.userId } };
      },
    });
  });
}

async function callError(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

describe("retry interceptor: unary calls", () => {
  it("retries an idempotent call with jittered exponential backoff", async () => {
    const h = failingGetUser([unavailable(), unavailable(), unavailable()]);
    const res = await h.clock.run(h.client.getUser({ userId: "u-1" }));
    expect(res.user?.id).toBe("u-1");
    expect(h.log).toEqual([
      "server: GetUser attempt 1 at 0ms",
      "retry: attempt 2 in 50ms after Unavailable",
      "server: GetUser attempt 2 at 50ms, previous 1",
      "retry: attempt 3 in 100ms after Unavailable",
      "server: GetUser attempt 3 at 150ms, previous 2",
      "retry: attempt 4 in 200ms after Unavailable",
      "server: GetUser attempt 4 at 350ms, previous 3",
    ]);
  });

  it("draws each delay uniformly below a ceiling clamped at maxBackoffMs", async () => {
    const delays: number[] = [];
    const h = createHarness(
      (router) =>
        router.service(UserService, {
          getUser: (_req, ctx) => {
            const previous = ctx.requestHeader.get("grpc-previous-rpc-attempts");
            if (Number(previous ?? 0) < 6) throw unavailable();
            return {};
          },
        }),
      {
        maxAttempts: 7,
        throttle: false,
        initialBackoffMs: 100,
        maxBackoffMs: 300,
        backoffMultiplier: 2,
        random: sequence(0.5, 0.25, 0.5, 0.5, 0, 0.999),
        onRetry: (e) => delays.push(e.delayMs),
      },
    );
    await h.clock.run(h.client.getUser({}));
    // Ceilings 100, 200, then 300 (not 400), 300, 300, 300.
    expect(delays).toEqual([50, 50, 150, 150, 0, 299.7]);
    expect(h.clock.now()).toBe(699.7);
  });

  it("calls onRetry with the attempt about to start and the error", async () => {
    const events: RetryEvent[] = [];
    const failure = unavailable();
    const h = createHarness(
      (router) => {
        let attempts = 0;
        router.service(UserService, {
          getUser() {
            if (++attempts === 1) throw failure;
            return {};
          },
        });
      },
      { onRetry: (e) => events.push(e) },
    );
    await h.clock.run(h.client.getUser({}));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      attempt: 2,
      maxAttempts: 4,
      delayMs: 50,
      method: UserService.method.getUser,
      transparent: false,
    });
    expect(events[0]?.error.code).toBe(Code.Unavailable);
    expect(events[0]?.error.rawMessage).toBe("busy");
  });

  it("exposes the number of attempts through attemptCountKey", async () => {
    const h = failingGetUser([unavailable(), unavailable()]);
    // Outer interceptors and the caller share the call's context values.
    const contextValues = createContextValues();
    await h.clock.run(h.client.getUser({}, { contextValues }));
    expect(contextValues.get(attemptCountKey)).toBe(3);
  });

  it("throws the last attempt's own error, metadata and details intact, after maxAttempts", async () => {
    const last = new ConnectError("still busy", Code.ResourceExhausted, { "x-shard": "7" }, [
      { desc: ErrorInfoSchema, value: { reason: "QUOTA", domain: "users" } },
    ]);
    const h = failingGetUser([unavailable(), unavailable(), unavailable(), last]);
    const error = await callError(h.clock.run(h.client.getUser({})));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("still busy");
    expect(error.metadata.get("x-shard")).toBe("7");
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("QUOTA");
    expect(h.log.filter((l) => l.startsWith("server:"))).toHaveLength(4);
  });

  it("does not retry codes outside retryableCodes", async () => {
    const h = failingGetUser([new ConnectError("bug", Code.Internal)]);
    const error = await callError(h.clock.run(h.client.getUser({})));
    expect(error.code).toBe(Code.Internal);
    expect(h.log).toEqual(["server: GetUser attempt 1 at 0ms"]);
  });

  it("retries the codes given in retryableCodes", async () => {
    const h = createHarness(
      (router, h) => {
        const attempt = serverAttempts(h, "GetUser");
        router.service(UserService, {
          getUser(_req, ctx) {
            if (attempt(ctx) === 1) throw new ConnectError("bug", Code.Internal);
            return {};
          },
        });
      },
      { retryableCodes: [Code.Internal] },
    );
    await h.clock.run(h.client.getUser({}));
    expect(h.log).toEqual([
      "server: GetUser attempt 1 at 0ms",
      "retry: attempt 2 in 50ms after Internal",
      "server: GetUser attempt 2 at 50ms, previous 1",
    ]);
  });
});

describe("retry interceptor: which methods", () => {
  function failingCreateUser(options: Parameters<typeof createHarness>[1] = {}) {
    return createHarness((router, h) => {
      const attempt = serverAttempts(h, "CreateUser");
      router.service(UserService, {
        createUser(req, ctx) {
          if (attempt(ctx) === 1) throw unavailable();
          return { user: { email: req.email } };
        },
      });
    }, options);
  }

  it("does not retry a method without an idempotency level", async () => {
    const h = failingCreateUser();
    const error = await callError(h.clock.run(h.client.createUser({})));
    expect(error.code).toBe(Code.Unavailable);
    expect(h.log).toEqual(["server: CreateUser attempt 1 at 0ms"]);
  });

  it.each(["/user.v1.UserService/CreateUser", "user.v1.UserService/CreateUser", "user.v1.UserService.CreateUser"])(
    "retries a method listed in retryMethods as %s",
    async (name) => {
      const h = failingCreateUser({ retryMethods: [name] });
      await h.clock.run(h.client.createUser({ email: "a@b.c" }));
      expect(h.log).toHaveLength(3);
    },
  );

  it("retries a method listed in retryMethods by its descriptor", async () => {
    const h = failingCreateUser({
      retryMethods: [UserService.method.createUser],
    });
    await h.clock.run(h.client.createUser({ email: "a@b.c" }));
    expect(h.log).toHaveLength(3);
  });

  it("retries a single call opted in with retryableCallKey", async () => {
    const h = failingCreateUser();
    const contextValues = createContextValues().set(retryableCallKey, true);
    const res = await h.clock.run(h.client.createUser({ email: "a@b.c", requestId: "r-1" }, { contextValues }));
    expect(res.user?.email).toBe("a@b.c");
    expect(h.log).toEqual([
      "server: CreateUser attempt 1 at 0ms",
      "retry: attempt 2 in 50ms after Unavailable",
      "server: CreateUser attempt 2 at 50ms, previous 1",
    ]);
  });

  it("does not retry an idempotent method opted out with retryableCallKey", async () => {
    const h = failingGetUser([unavailable()]);
    const contextValues = createContextValues().set(retryableCallKey, false);
    const error = await callError(h.clock.run(h.client.getUser({}, { contextValues })));
    expect(error.code).toBe(Code.Unavailable);
    expect(h.log).toEqual(["server: GetUser attempt 1 at 0ms"]);
  });
});

describe("retry interceptor: server-given delays", () => {
  it("waits exactly the pushback delay, then restarts the backoff", async () => {
    const h = failingGetUser([pushback("250"), unavailable()]);
    await h.clock.run(h.client.getUser({}));
    expect(h.log).toEqual([
      "server: GetUser attempt 1 at 0ms",
      "retry: attempt 2 in 250ms after Unavailable",
      "server: GetUser attempt 2 at 250ms, previous 1",
      "retry: attempt 3 in 50ms after Unavailable",
      "server: GetUser attempt 3 at 300ms, previous 2",
    ]);
  });

  it.each(["-1", "soon", "1.5", "100, 200"])("stops retrying on a pushback of %j", async (value) => {
    const h = failingGetUser([pushback(value)]);
    const error = await callError(h.clock.run(h.client.getUser({})));
    expect(error.metadata.get("grpc-retry-pushback-ms")).toBe(value);
    expect(h.log).toEqual(["server: GetUser attempt 1 at 0ms"]);
  });

  it("waits the retry_delay of a RetryInfo detail", async () => {
    const h = failingGetUser([retryInfo(1n, 500_000_000)]);
    await h.clock.run(h.client.getUser({}));
    expect(h.log).toEqual([
      "server: GetUser attempt 1 at 0ms",
      "retry: attempt 2 in 1500ms after Unavailable",
      "server: GetUser attempt 2 at 1500ms, previous 1",
    ]);
  });

  it("prefers pushback over RetryInfo", async () => {
    const h = failingGetUser([retryInfo(3n, 0, { "grpc-retry-pushback-ms": "20" })]);
    await h.clock.run(h.client.getUser({}));
    expect(h.log[1]).toBe("retry: attempt 2 in 20ms after Unavailable");
  });
});

describe("retry interceptor: throttling", () => {
  function throttled(options: Parameters<typeof createHarness>[1] = {}) {
    let failing = true;
    const h = createHarness((router, h) => {
      const attempt = serverAttempts(h, "GetUser");
      router.service(UserService, {
        getUser(_req, ctx) {
          attempt(ctx);
          if (failing) throw unavailable();
          return {};
        },
        listUsers: () => ({}),
      });
    }, options);
    const setFailing = (value: boolean) => {
      failing = value;
    };
    return { h, setFailing };
  }

  function attemptsLogged(h: Harness): number {
    const n = h.log.filter((l) => l.startsWith("server:")).length;
    h.log.length = 0;
    return n;
  }

  it("stops retrying while half the tokens are gone and resumes after successes", async () => {
    const { h } = throttled();
    // 10 tokens: four failed attempts leave 6.
    await callError(h.clock.run(h.client.getUser({})));
    expect(attemptsLogged(h)).toBe(4);
    // One more failure leaves 5, which is not above 10 / 2: no retry.
    await callError(h.clock.run(h.client.getUser({})));
    expect(attemptsLogged(h)).toBe(1);
    // Eleven successes earn 1.1 tokens: 6.1.
    for (let i = 0; i < 11; i++) await h.clock.run(h.client.listUsers({}));
    // 6.1 - 1 = 5.1 allows one retry, 4.1 stops.
    await callError(h.clock.run(h.client.getUser({})));
    expect(attemptsLogged(h)).toBe(2);
  });

  it("never throttles with throttle: false", async () => {
    const { h } = throttled({ throttle: false });
    for (let i = 0; i < 5; i++) {
      await callError(h.clock.run(h.client.getUser({})));
      expect(attemptsLogged(h)).toBe(4);
    }
  });

  it("does not charge the bucket for errors outside retryableCodes", async () => {
    const notFound = () => new ConnectError("no such user", Code.NotFound);
    const h = failingGetUser([...Array.from({ length: 20 }, notFound), unavailable()]);
    for (let i = 0; i < 20; i++) await callError(h.client.getUser({}));
    h.log.length = 0;
    await h.clock.run(h.client.getUser({}));
    expect(h.log).toEqual([
      "server: GetUser attempt 21 at 0ms",
      "retry: attempt 2 in 50ms after Unavailable",
      "server: GetUser attempt 22 at 50ms, previous 1",
    ]);
  });
});

describe("retry interceptor: deadline and cancellation", () => {
  it("writes the remaining time into each attempt's timeout header", async () => {
    const h = failingGetUser([unavailable(), unavailable()]);
    await h.clock.run(h.client.getUser({}, { timeoutMs: 5000 }));
    expect(h.log.filter((l) => l.startsWith("server:"))).toEqual([
      "server: GetUser attempt 1 at 0ms, timeout 5000ms",
      "server: GetUser attempt 2 at 50ms, previous 1, timeout 4950ms",
      "server: GetUser attempt 3 at 150ms, previous 2, timeout 4850ms",
    ]);
  });

  it("fails with DeadlineExceeded instead of sleeping past the deadline", async () => {
    const failures = [1, 2, 3].map((n) => new ConnectError(`busy ${n}`, Code.Unavailable));
    const h = createHarness(
      (router, h) => {
        const attempt = serverAttempts(h, "GetUser");
        router.service(UserService, {
          getUser(_req, ctx) {
            throw failures[attempt(ctx) - 1];
          },
        });
      },
      { initialBackoffMs: 1000 },
    );
    const error = await callError(h.clock.run(h.client.getUser({}, { timeoutMs: 3000 })));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(ConnectError.from(error.cause).rawMessage).toBe("busy 3");
    // The third retry would wait 2000ms from 1500ms, past 3000ms.
    expect(h.clock.now()).toBe(1500);
    expect(h.log).toEqual([
      "server: GetUser attempt 1 at 0ms, timeout 3000ms",
      "retry: attempt 2 in 500ms after Unavailable",
      "server: GetUser attempt 2 at 500ms, previous 1, timeout 2500ms",
      "retry: attempt 3 in 1000ms after Unavailable",
      "server: GetUser attempt 3 at 1500ms, previous 2, timeout 1500ms",
    ]);
  });

  it("aborts an attempt at the call's deadline with DeadlineExceeded", async () => {
    const aborted: string[] = [];
    const h = createHarness((router, h) => {
      const attempt = serverAttempts(h, "GetUser");
      router.service(UserService, {
        async getUser(_req, ctx) {
          if (attempt(ctx) === 1) throw unavailable();
          await new Promise((_, reject) => {
            ctx.signal.addEventListener("abort", () => {
              aborted.push(`server saw abort at ${h.clock.now()}ms`);
              reject(ctx.signal.reason);
            });
          });
          return {};
        },
      });
    });
    const error = await callError(h.clock.run(h.client.getUser({}, { timeoutMs: 1000 })));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(h.clock.now()).toBe(1000);
    expect(aborted).toEqual(["server saw abort at 1000ms"]);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it("ends the call at once with Canceled when the caller aborts during a sleep", async () => {
    const h = failingGetUser([unavailable(), unavailable()]);
    const controller = new AbortController();
    const call = callError(h.client.getUser({}, { signal: controller.signal }));
    await h.clock.settle();
    expect(h.log).toEqual(["server: GetUser attempt 1 at 0ms", "retry: attempt 2 in 50ms after Unavailable"]);
    expect(h.clock.pendingTimers()).toBe(1);
    controller.abort();
    const error = await call;
    expect(error.code).toBe(Code.Canceled);
    expect(h.clock.now()).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
    await h.clock.settle();
    expect(h.log).toHaveLength(2);
  });

  it("does not retry an attempt the caller aborted", async () => {
    const controller = new AbortController();
    const h = createHarness((router, h) => {
      const attempt = serverAttempts(h, "GetUser");
      router.service(UserService, {
        getUser(_req, ctx) {
          attempt(ctx);
          controller.abort();
          throw unavailable();
        },
      });
    });
    const error = await callError(h.clock.run(h.client.getUser({}, { signal: controller.signal })));
    expect(error.code).toBe(Code.Canceled);
    expect(h.log).toEqual(["server: GetUser attempt 1 at 0ms"]);
  });
});

describe("retry interceptor: streaming calls", () => {
  /** Logs when the signal of each attempt aborts, i.e. it is released. */
  function attemptReleases(log: string[]): Interceptor {
    return (next) => async (req) => {
      const attempt = req.contextValues.get(attemptCountKey);
      req.signal.addEventListener("abort", () => log.push(`client: attempt ${attempt} released`));
      return next(req);
    };
  }

  const event = (sequence: bigint) => create(WatchUsersResponseSchema, { sequence });

  // WatchUsers declares no idempotency level: these tests opt it in.
  const watchUsersRetried = { retryMethods: ["user.v1.UserService/WatchUsers"] };

  it("retries a server stream that fails before its first message", async () => {
    const log: string[] = [];
    const h = createHarness(
      (router, h) => {
        const attempt = serverAttempts(h, "WatchUsers");
        router.service(UserService, {
          async *watchUsers(req, ctx) {
            if (attempt(ctx) === 1) throw unavailable();
            yield event(req.sinceSequence + 1n);
            yield event(req.sinceSequence + 2n);
          },
        });
      },
      watchUsersRetried,
      [attemptReleases(log)],
    );
    const result = await h.clock.run(drain(h.client.watchUsers({ sinceSequence: 7n })));
    expect(result.error).toBeUndefined();
    expect(result.messages.map((m) => m.sequence)).toEqual([8n, 9n]);
    expect(h.log).toEqual([
      "server: WatchUsers attempt 1 at 0ms",
      "retry: attempt 2 in 50ms after Unavailable",
      "server: WatchUsers attempt 2 at 50ms, previous 1",
    ]);
    expect(log).toEqual(["client: attempt 1 released", "client: attempt 2 released"]);
  });

  it("does not retry a server stream of a method without an idempotency level", async () => {
    const h = createHarness((router, h) => {
      const attempt = serverAttempts(h, "WatchUsers");
      router.service(UserService, {
        // biome-ignore lint/correctness/useYield: fails before any response
        async *watchUsers(_req, ctx) {
          attempt(ctx);
          throw unavailable();
        },
      });
    });
    const result = await h.clock.run(drain(h.client.watchUsers({})));
    expect(ConnectError.from(result.error).code).toBe(Code.Unavailable);
    expect(h.log).toEqual(["server: WatchUsers attempt 1 at 0ms"]);
  });

  it("passes an error after the first message through without retrying", async () => {
    const h = createHarness((router, h) => {
      const attempt = serverAttempts(h, "WatchUsers");
      router.service(UserService, {
        async *watchUsers(_req, ctx) {
          attempt(ctx);
          yield event(1n);
          throw unavailable();
        },
      });
    }, watchUsersRetried);
    const result = await h.clock.run(drain(h.client.watchUsers({})));
    expect(result.messages.map((m) => m.sequence)).toEqual([1n]);
    expect(ConnectError.from(result.error).code).toBe(Code.Unavailable);
    expect(h.log).toEqual(["server: WatchUsers attempt 1 at 0ms"]);
  });

  it("never retries client-streaming or bidi calls", async () => {
    const h = createHarness((router, h) => {
      const bulk = serverAttempts(h, "BulkCreateUsers");
      const sync = serverAttempts(h, "SyncUsers");
      router.service(UserService, {
        async bulkCreateUsers(_reqs, ctx) {
          bulk(ctx);
          throw unavailable();
        },
        // biome-ignore lint/correctness/useYield: fails before any response
        async *syncUsers(_reqs, ctx) {
          sync(ctx);
          throw unavailable();
        },
      });
    });
    async function* one<T>(message: T) {
      yield message;
    }
    const bulkError = await callError(h.clock.run(h.client.bulkCreateUsers(one({ email: "a@b.c" }))));
    const sync = await h.clock.run(drain(h.client.syncUsers(one({}))));
    expect(bulkError.code).toBe(Code.Unavailable);
    expect(ConnectError.from(sync.error).code).toBe(Code.Unavailable);
    expect(h.log).toEqual(["server: BulkCreateUsers attempt 1 at 0ms", "server: SyncUsers attempt 1 at 0ms"]);
  });
});

describe("retry interceptor: transparent retries", () => {
  /** Fails the first `n` attempts before they leave the client. */
  function refuseConnections(n: number): Interceptor {
    let refused = 0;
    return (next) => async (req) => {
      if (refused++ < n) {
        const cause = Object.assign(new Error("connect ECONNREFUSED"), {
          code: "ECONNREFUSED",
        });
        throw new ConnectError(cause.message, Code.Unavailable, undefined, undefined, cause);
      }
      return next(req);
    };
  }

  function createUserServer(options: Parameters<typeof createHarness>[1], refusals: number) {
    return createHarness(
      (router, h) => {
        const createAttempt = serverAttempts(h, "CreateUser");
        const getAttempt = serverAttempts(h, "GetUser");
        router.service(UserService, {
          createUser(_req, ctx) {
            createAttempt(ctx);
            return {};
          },
          getUser(_req, ctx) {
            if (getAttempt(ctx) === 1) throw unavailable();
            return {};
          },
        });
      },
      options,
      [refuseConnections(refusals)],
    );
  }

  it("retries a non-idempotent call the server never saw, at once", async () => {
    const h = createUserServer({}, 1);
    await h.clock.run(h.client.createUser({}));
    expect(h.log).toEqual(["retry: attempt 2 in 0ms after Unavailable (transparent)", "server: CreateUser attempt 1 at 0ms, previous 1"]);
  });

  it("backs off after the first transparent retry and respects maxAttempts", async () => {
    const h = createUserServer({}, 3);
    await h.clock.run(h.client.createUser({}));
    expect(h.log).toEqual([
      "retry: attempt 2 in 0ms after Unavailable (transparent)",
      "retry: attempt 3 in 50ms after Unavailable (transparent)",
      "retry: attempt 4 in 100ms after Unavailable (transparent)",
      "server: CreateUser attempt 1 at 150ms, previous 3",
    ]);
    const exhausted = createUserServer({ maxAttempts: 2 }, 2);
    const error = await callError(exhausted.clock.run(exhausted.client.createUser({})));
    expect(error.code).toBe(Code.Unavailable);
    expect(exhausted.log).toEqual(["retry: attempt 2 in 0ms after Unavailable (transparent)"]);
  });

  it("does not charge the throttle for transparent retries", async () => {
    // With 3 tokens, one charged failure leaves 2 (> 1.5), two leave 1.
    const h = createUserServer({ maxTokens: 3 }, 1);
    await h.clock.run(h.client.createUser({}));
    h.log.length = 0;
    // GetUser fails once (server attempt 2): retried only if 2 tokens remain.
    await h.clock.run(h.client.getUser({}));
    expect(h.log).toEqual([
      "server: GetUser attempt 1 at 0ms",
      "retry: attempt 2 in 50ms after Unavailable",
      "server: GetUser attempt 2 at 50ms, previous 1",
    ]);
  });
});
