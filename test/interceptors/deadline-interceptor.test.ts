import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  createContextValues,
  createRouterTransport,
  type HandlerContext,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GetUserRequestSchema, GetUserResponseSchema, UserService, WatchUsersRequestSchema } from "../../gen/user/v1/user_service_pb.js";
import { createDeadlineInterceptor, type DeadlineInterceptorOptions, timeoutMsKey } from "../../src/interceptors/deadline-interceptor.js";
import { encodeConnectTimeout, encodeGrpcTimeout, readTimeoutHeader } from "../../src/interceptors/timeout-header.js";
import { nodeAmbientDeadline, withDeadline } from "../../src/node/ambient-context.js";

const NOW = 1_700_000_000_000;

afterEach(() => {
  vi.useRealTimers();
});

/** A client whose handlers record the timeout header they received, and sleep for `sleepMs`. */
function createRecordingClient(options: DeadlineInterceptorOptions, sleepMs = 0) {
  const log: string[] = [];
  let handlerCalls = 0;
  const record = (method: string, ctx: HandlerContext) => {
    handlerCalls++;
    log.push(`${method} connect-timeout-ms=${ctx.requestHeader.get("connect-timeout-ms") ?? "(none)"}`);
    return sleep(sleepMs, ctx.signal);
  };
  const transport = createRouterTransport(
    ({ service }) => {
      service(UserService, {
        async getUser(_req, ctx) {
          await record("getUser", ctx);
          return {};
        },
        async createUser(_req, ctx) {
          await record("createUser", ctx);
          return {};
        },
        async deleteUser(_req, ctx) {
          await record("deleteUser", ctx);
          return {};
        },
        async *watchUsers(_req, ctx) {
          await record("watchUsers", ctx);
          yield { sequence: 1n };
        },
        async bulkCreateUsers(requests, ctx) {
          for await (const _ of requests) {
            // drain
          }
          await record("bulkCreateUsers", ctx);
          return {};
        },
        // biome-ignore lint/correctness/useYield: the server answers nothing, it only records the call
        async *syncUsers(requests, ctx) {
          await record("syncUsers", ctx);
          for await (const _ of requests) {
            // drain
          }
        },
      });
    },
    { transport: { interceptors: [createDeadlineInterceptor(options)] } },
  );
  return { client: createClient(UserService, transport), log, handlerCalls: () => handlerCalls };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function* empty<T>(): AsyncGenerator<T> {}

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable) {
    // drain
  }
}

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

function unaryRequest(header: HeadersInit, signal = new AbortController().signal): UnaryRequest {
  return {
    stream: false,
    service: UserService,
    method: UserService.method.getUser,
    requestMethod: "POST",
    url: "https://api.example.com/user.v1.UserService/GetUser",
    signal,
    header: new Headers(header),
    contextValues: createContextValues(),
    message: create(GetUserRequestSchema),
  };
}

describe("createDeadlineInterceptor", () => {
  it("sets the default timeout for each method kind", async () => {
    const { client, log } = createRecordingClient({ now: () => NOW });
    await client.getUser({});
    await client.createUser({});
    await client.deleteUser({});
    await client.bulkCreateUsers(empty());
    await drain(client.watchUsers({}));
    await drain(client.syncUsers(empty()));
    expect(log).toEqual([
      "getUser connect-timeout-ms=5000",
      "createUser connect-timeout-ms=30000",
      "deleteUser connect-timeout-ms=30000",
      "bulkCreateUsers connect-timeout-ms=120000",
      "watchUsers connect-timeout-ms=(none)",
      "syncUsers connect-timeout-ms=(none)",
    ]);
  });

  it("takes per-method timeouts, a method key winning over its service key", async () => {
    const { client, log } = createRecordingClient({
      now: () => NOW,
      serverStreamingTimeoutMs: 60_000,
      methods: {
        "user.v1.UserService": 2_000,
        "user.v1.UserService/GetUser": 1_000,
        "user.v1.UserService/WatchUsers": null,
      },
    });
    await client.getUser({});
    await client.createUser({});
    await drain(client.watchUsers({}));
    expect(log).toEqual(["getUser connect-timeout-ms=1000", "createUser connect-timeout-ms=2000", "watchUsers connect-timeout-ms=(none)"]);
  });

  it("lets the caller's timeoutMs and timeoutMsKey win over the default", async () => {
    const { client, log } = createRecordingClient({ now: () => NOW });
    await client.getUser({}, { timeoutMs: 250 });
    await client.createUser({}, { timeoutMs: 60_000 });
    await client.getUser({}, { contextValues: createContextValues().set(timeoutMsKey, 700) });
    await drain(client.watchUsers({}, { timeoutMs: 90 }));
    expect(log).toEqual([
      "getUser connect-timeout-ms=250",
      "createUser connect-timeout-ms=60000",
      "getUser connect-timeout-ms=700",
      "watchUsers connect-timeout-ms=90",
    ]);
  });

  it("shrinks the timeout to what is left of the ambient deadline", async () => {
    const { client, log } = createRecordingClient({
      now: () => NOW,
      ambientDeadline: () => NOW + 800,
    });
    await client.getUser({});
    await client.createUser({}, { timeoutMs: 300 });
    await drain(client.watchUsers({}));
    expect(log).toEqual(["getUser connect-timeout-ms=800", "createUser connect-timeout-ms=300", "watchUsers connect-timeout-ms=800"]);
  });

  it("shrinks the timeout to an ambient deadline set with withDeadline", async () => {
    const { client, log } = createRecordingClient({ ambientDeadline: nodeAmbientDeadline });
    await withDeadline(1_000, () => client.getUser({}));
    await client.getUser({});
    const [inside, outside] = log.map((line) => Number(line.split("=")[1]));
    expect(inside).toBeGreaterThan(900);
    expect(inside).toBeLessThanOrEqual(1_000);
    expect(outside).toBe(5_000);
  });

  it("fails at once with deadline exceeded when the ambient deadline has passed", async () => {
    const { client, handlerCalls } = createRecordingClient({
      now: () => NOW,
      ambientDeadline: () => NOW - 20,
    });
    const err = await rejection(client.getUser({}));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.rawMessage).toBe("deadline exceeded before calling user.v1.UserService/GetUser: the ambient deadline passed 20 ms ago");
    expect(handlerCalls()).toBe(0);
  });

  it("fails a call whose handler outlives the deadline with deadline exceeded", async () => {
    const { client } = createRecordingClient({ methods: { "user.v1.UserService/GetUser": 50 } }, 2_000);
    const started = Date.now();
    const err = await rejection(client.getUser({}));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.rawMessage).toBe("deadline exceeded after 50 ms calling user.v1.UserService/GetUser");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("fails a server stream that outlives the deadline with deadline exceeded", async () => {
    const { client } = createRecordingClient({ serverStreamingTimeoutMs: 50 }, 2_000);
    const err = await rejection(drain(client.watchUsers({})));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.rawMessage).toBe("deadline exceeded after 50 ms calling user.v1.UserService/WatchUsers");
  });

  it("reports a cancellation that races an expired deadline as deadline exceeded", async () => {
    let now = NOW;
    const caller = new AbortController();
    const interceptor = createDeadlineInterceptor({ now: () => now });
    const call = interceptor(async (req) => {
      await new Promise((_, reject) => {
        req.signal.addEventListener("abort", () => reject(ConnectError.from(req.signal.reason, Code.Canceled)));
      });
      throw new Error("unreachable");
    });
    const pending = rejection(call(unaryRequest({ "content-type": "application/proto" }, caller.signal)));
    now += 5_001;
    caller.abort(new ConnectError("user canceled", Code.Canceled));
    const err = await pending;
    expect(err.code).toBe(Code.DeadlineExceeded);
  });

  it("reports a cancellation before the deadline as canceled", async () => {
    const caller = new AbortController();
    const { client } = createRecordingClient({}, 2_000);
    const pending = rejection(client.getUser({}, { signal: caller.signal }));
    await new Promise((r) => setTimeout(r, 20));
    caller.abort();
    const err = await pending;
    expect(err.code).toBe(Code.Canceled);
  });

  it("writes grpc-timeout with a unit for gRPC requests", async () => {
    const sent: Array<[string | null, string | null]> = [];
    const interceptor = createDeadlineInterceptor({ now: () => NOW });
    const call = interceptor(async (req) => {
      sent.push([req.header.get("grpc-timeout"), req.header.get("connect-timeout-ms")]);
      return { stream: false, message: create(GetUserResponseSchema) } as UnaryResponse;
    });
    await call(unaryRequest({ "content-type": "application/grpc+proto" }));
    await call(unaryRequest({ "content-type": "application/grpc-web+proto", "grpc-timeout": "2S" }));
    expect(sent).toEqual([
      ["5000m", null],
      ["2000m", null],
    ]);
  });

  it("encodes timeouts in at most 8 grpc digits and 10 connect digits", () => {
    expect(encodeGrpcTimeout(0.4)).toBe("1m");
    expect(encodeGrpcTimeout(99_999_999)).toBe("99999999m");
    expect(encodeGrpcTimeout(100_000_000)).toBe("100000S");
    expect(encodeGrpcTimeout(99_999_999_000)).toBe("99999999S");
    expect(encodeGrpcTimeout(1e12)).toBe("16666667M");
    expect(encodeGrpcTimeout(1e15)).toBe("99999999H");
    expect(encodeConnectTimeout(1e12)).toBe("9999999999");
    expect(readTimeoutHeader(new Headers({ "grpc-timeout": "3M" }))).toBe(180_000);
    expect(readTimeoutHeader(new Headers({ "grpc-timeout": "500u" }))).toBe(0.5);
    expect(readTimeoutHeader(new Headers({ "connect-timeout-ms": "1500" }))).toBe(1_500);
    expect(readTimeoutHeader(new Headers({ "grpc-timeout": "123456789m" }))).toBe(123_456_789);
    expect(readTimeoutHeader(new Headers({ "grpc-timeout": "5 minutes" }))).toBeUndefined();
  });

  it("clears its timers when calls end, fail or their stream ends", async () => {
    vi.useFakeTimers();
    const interceptor = createDeadlineInterceptor({ serverStreamingTimeoutMs: 1_000 });
    const unary = interceptor(async () => ({ stream: false, message: create(GetUserResponseSchema) }) as UnaryResponse);
    const failing = interceptor(async () => {
      throw new ConnectError("nope", Code.NotFound);
    });
    await unary(unaryRequest({}));
    await rejection(failing(unaryRequest({})));
    expect(vi.getTimerCount()).toBe(0);

    async function* twoMessages() {
      yield {};
      yield {};
    }
    // biome-ignore lint/correctness/useYield: a stream that fails before its first message
    async function* brokenStream(): AsyncGenerator<never> {
      throw new ConnectError("stream reset", Code.Unavailable);
    }
    for (const messages of [twoMessages, brokenStream]) {
      const streaming = interceptor(async () => ({ stream: true, message: messages() }) as unknown as StreamResponse);
      const res = (await streaming(streamRequest())) as StreamResponse;
      expect(vi.getTimerCount()).toBe(1);
      await drain(res.message).catch(() => undefined);
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it("leaves no timers behind after in-memory calls", async () => {
    vi.useFakeTimers();
    const { client } = createRecordingClient({});
    await client.getUser({});
    await rejection(client.getUser({}, { contextValues: createContextValues().set(timeoutMsKey, -1) }));
    await client.bulkCreateUsers(empty());
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects negative and non-finite timeouts naming the option", () => {
    expect(() => createDeadlineInterceptor({ unaryTimeoutMs: -1 })).toThrow(/invalid option unaryTimeoutMs/);
    expect(() => createDeadlineInterceptor({ clientStreamingTimeoutMs: Number.NaN })).toThrow(/invalid option clientStreamingTimeoutMs/);
    expect(() => createDeadlineInterceptor({ methods: { "user.v1.UserService/GetUser": Infinity } })).toThrow(
      /invalid option methods\["user.v1.UserService\/GetUser"\]/,
    );
    expect(() => createDeadlineInterceptor({ methods: { "not a method": 1 } })).toThrow(/invalid option methods/);
  });
});

function streamRequest(): StreamRequest {
  async function* input() {
    yield create(WatchUsersRequestSchema);
  }
  return {
    stream: true,
    service: UserService,
    method: UserService.method.watchUsers,
    requestMethod: "POST",
    url: "https://api.example.com/user.v1.UserService/WatchUsers",
    signal: new AbortController().signal,
    header: new Headers({ "content-type": "application/connect+proto" }),
    contextValues: createContextValues(),
    message: input(),
  };
}
