import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserSchema, UserService } from "../../gen/user/v1/user_service_pb.js";
import { createAuthInterceptor } from "../../src/interceptors/auth-interceptor.js";
import { createLoggingInterceptor, type Logger } from "../../src/interceptors/logging-interceptor.js";

const SECRET = "s3cr3t-token-value";

/** Resolves the returned promise's value after the test lets it go. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A UserService whose handlers accept only `validTokens` and write what they
 * saw to `log`, in order.
 */
function createTestService(options: {
  log: string[];
  validTokens: () => readonly string[];
  interceptors: Interceptor[];
  baseUrl?: string;
}) {
  const { log, validTokens } = options;
  const check = (method: string, ctx: HandlerContext) => {
    const authorization = ctx.requestHeader.get("authorization");
    log.push(`${method} ${authorization ?? "(none)"}`);
    if (!validTokens().some((t) => authorization === `Bearer ${t}`)) {
      throw new ConnectError("token rejected", Code.Unauthenticated);
    }
  };
  const transport = createRouterTransport(
    ({ service }) => {
      service(UserService, {
        getUser(req, ctx) {
          check("getUser", ctx);
          return { user: create(UserSchema, { id: req.userId }) };
        },
        async *watchUsers(_req, ctx) {
          check("watchUsers", ctx);
          for (let sequence = 1n; sequence <= 2n; sequence++) {
            yield { sequence };
          }
        },
        async bulkCreateUsers(requests, ctx) {
          for await (const _ of requests) {
            // drain
          }
          check("bulkCreateUsers", ctx);
          return { createdCount: 0 };
        },
      });
    },
    {
      transport: {
        interceptors: options.interceptors,
        ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
      },
    },
  );
  return createClient(UserService, transport);
}

/** A token provider that hands out "t1", "t2", ... and logs each call. */
function countingProvider(log: string[]) {
  let count = 0;
  return {
    get calls() {
      return count;
    },
    token: async () => {
      count++;
      log.push(`provider -> t${count}`);
      await new Promise((r) => setTimeout(r, 5));
      return `t${count}`;
    },
  };
}

async function* one<T>(item: T) {
  yield item;
}

describe("createAuthInterceptor", () => {
  it("sends the token as a bearer authorization header", async () => {
    const log: string[] = [];
    const client = createTestService({
      log,
      validTokens: () => ["abc"],
      interceptors: [createAuthInterceptor({ token: "abc" })],
    });
    await client.getUser({ userId: "u-1" });
    expect(log).toEqual(["getUser Bearer abc"]);
  });

  it("uses the configured header name and scheme", async () => {
    const seen: Array<[string | null, string | null]> = [];
    const transport = createRouterTransport(
      ({ service }) => {
        service(UserService, {
          getUser(_req, ctx) {
            seen.push([ctx.requestHeader.get("x-api-key"), ctx.requestHeader.get("authorization")]);
            return {};
          },
        });
      },
      { transport: { interceptors: [createAuthInterceptor({ token: "k1", headerName: "x-api-key", scheme: "" })] } },
    );
    await createClient(UserService, transport).getUser({});
    expect(seen).toEqual([["k1", null]]);
  });

  it("calls the provider once for 10 concurrent calls and caches the token", async () => {
    const log: string[] = [];
    const gate = deferred<string>();
    let calls = 0;
    const client = createTestService({
      log,
      validTokens: () => ["t1"],
      interceptors: [
        createAuthInterceptor({
          token: () => {
            calls++;
            return gate.promise;
          },
        }),
      ],
    });
    const pending = Array.from({ length: 10 }, (_, i) => client.getUser({ userId: `u-${i}` }));
    await new Promise((r) => setTimeout(r, 10));
    gate.resolve("t1");
    await Promise.all(pending);
    await client.getUser({ userId: "u-later" });
    expect(calls).toBe(1);
    expect(log).toHaveLength(11);
    expect(new Set(log)).toEqual(new Set(["getUser Bearer t1"]));
  });

  it("refreshes the token and replays a unary call once after unauthenticated", async () => {
    const log: string[] = [];
    const provider = countingProvider(log);
    const client = createTestService({
      log,
      validTokens: () => ["t2"],
      interceptors: [createAuthInterceptor({ token: provider.token })],
    });
    const res = await client.getUser({ userId: "u-1" });
    expect(res.user?.id).toBe("u-1");
    expect(log).toEqual(["provider -> t1", "getUser Bearer t1", "provider -> t2", "getUser Bearer t2"]);
  });

  it("gives a second unauthenticated to the caller and fetches a fresh token for the next call", async () => {
    const log: string[] = [];
    const provider = countingProvider(log);
    const client = createTestService({
      log,
      validTokens: () => [],
      interceptors: [createAuthInterceptor({ token: provider.token })],
    });
    const err = await rejection(client.getUser({ userId: "u-1" }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(log).toEqual(["provider -> t1", "getUser Bearer t1", "provider -> t2", "getUser Bearer t2"]);
    await rejection(client.getUser({ userId: "u-2" }));
    expect(log.slice(4)).toEqual(["provider -> t3", "getUser Bearer t3", "provider -> t4", "getUser Bearer t4"]);
  });

  it("shares one refresh among concurrent calls that failed with the same token", async () => {
    const log: string[] = [];
    const provider = countingProvider(log);
    const client = createTestService({
      log,
      validTokens: () => ["t2"],
      interceptors: [createAuthInterceptor({ token: provider.token })],
    });
    await Promise.all(Array.from({ length: 5 }, (_, i) => client.getUser({ userId: `u-${i}` })));
    expect(provider.calls).toBe(2);
    expect(log.filter((l) => l === "getUser Bearer t1")).toHaveLength(5);
    expect(log.filter((l) => l === "getUser Bearer t2")).toHaveLength(5);
  });

  it("does not replay a string token, which a refresh cannot change", async () => {
    const log: string[] = [];
    const client = createTestService({
      log,
      validTokens: () => [],
      interceptors: [createAuthInterceptor({ token: "fixed" })],
    });
    const err = await rejection(client.getUser({}));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(log).toEqual(["getUser Bearer fixed"]);
  });

  it("replays a server stream that failed before its first message", async () => {
    const log: string[] = [];
    const provider = countingProvider(log);
    const client = createTestService({
      log,
      validTokens: () => ["t2"],
      interceptors: [createAuthInterceptor({ token: provider.token })],
    });
    const sequences: bigint[] = [];
    for await (const res of client.watchUsers({})) sequences.push(res.sequence);
    expect(sequences).toEqual([1n, 2n]);
    expect(log).toEqual(["provider -> t1", "watchUsers Bearer t1", "provider -> t2", "watchUsers Bearer t2"]);
  });

  it("does not replay a server stream that failed after its first message", async () => {
    const log: string[] = [];
    const provider = countingProvider(log);
    const transport = createRouterTransport(
      ({ service }) => {
        service(UserService, {
          async *watchUsers(_req, ctx) {
            log.push(`watchUsers ${ctx.requestHeader.get("authorization")}`);
            yield { sequence: 1n };
            throw new ConnectError("token expired", Code.Unauthenticated);
          },
        });
      },
      { transport: { interceptors: [createAuthInterceptor({ token: provider.token })] } },
    );
    const sequences: bigint[] = [];
    const err = await rejection(
      (async () => {
        for await (const res of createClient(UserService, transport).watchUsers({})) {
          sequences.push(res.sequence);
        }
      })(),
    );
    expect(err.code).toBe(Code.Unauthenticated);
    expect(sequences).toEqual([1n]);
    expect(log).toEqual(["provider -> t1", "watchUsers Bearer t1"]);
  });

  it("does not replay a client-streaming call, but fetches a fresh token for the next call", async () => {
    const log: string[] = [];
    const provider = countingProvider(log);
    const client = createTestService({
      log,
      validTokens: () => ["t2"],
      interceptors: [createAuthInterceptor({ token: provider.token })],
    });
    const err = await rejection(client.bulkCreateUsers(one({ email: "a@example.com" })));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(log).toEqual(["provider -> t1", "bulkCreateUsers Bearer t1"]);
    await client.bulkCreateUsers(one({ email: "b@example.com" }));
    expect(log.slice(2)).toEqual(["provider -> t2", "bulkCreateUsers Bearer t2"]);
  });

  it("fails the calls with unauthenticated naming the provider failure when the provider throws", async () => {
    const log: string[] = [];
    let calls = 0;
    const client = createTestService({
      log,
      validTokens: () => [SECRET],
      interceptors: [
        createAuthInterceptor({
          token: async () => {
            calls++;
            if (calls === 1) throw new Error("vault unreachable");
            return SECRET;
          },
        }),
      ],
    });
    const errors = await Promise.all([rejection(client.getUser({})), rejection(client.getUser({}))]);
    for (const err of errors) {
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toBe("auth token provider failed: vault unreachable");
    }
    expect(calls).toBe(1);
    expect(log).toEqual([]);
    await client.getUser({});
    expect(calls).toBe(2);
  });

  it("refuses to send a token over plain http to a host that is not loopback", async () => {
    const log: string[] = [];
    const provider = countingProvider(log);
    const client = createTestService({
      log,
      validTokens: () => ["t1"],
      baseUrl: "http://api.example.com",
      interceptors: [createAuthInterceptor({ token: provider.token })],
    });
    const err = await rejection(client.getUser({}));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toBe(
      "refusing to send the authorization header over plain http to api.example.com: use https, or set allowInsecure: true to allow it",
    );
    expect(log).toEqual([]);
  });

  it.each(["http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:3000", "http://[::1]:8443"])(
    "sends a token over plain http to loopback %s",
    async (baseUrl) => {
      const log: string[] = [];
      const client = createTestService({
        log,
        validTokens: () => ["abc"],
        baseUrl,
        interceptors: [createAuthInterceptor({ token: "abc" })],
      });
      await client.getUser({});
      expect(log).toEqual(["getUser Bearer abc"]);
    },
  );

  it("sends a token over plain http to any host with allowInsecure", async () => {
    const log: string[] = [];
    const client = createTestService({
      log,
      validTokens: () => ["abc"],
      baseUrl: "http://api.example.com",
      interceptors: [createAuthInterceptor({ token: "abc", allowInsecure: true })],
    });
    await client.getUser({});
    expect(log).toEqual(["getUser Bearer abc"]);
  });

  it("never puts the token in an error message or a log line", async () => {
    const lines: string[] = [];
    const record = (fields: object, message: string) => lines.push(JSON.stringify(fields) + message);
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    const errors: ConnectError[] = [];
    const scenarios: Array<{ token: () => string; baseUrl?: string; valid: string[] }> = [
      { token: () => SECRET, valid: [] },
      { token: () => SECRET, valid: [], baseUrl: "http://api.example.com" },
      { token: () => `${SECRET}\nInjected: header`, valid: [] },
      { token: () => SECRET, valid: [SECRET] },
    ];
    for (const scenario of scenarios) {
      const client = createTestService({
        log: [],
        validTokens: () => scenario.valid,
        ...(scenario.baseUrl === undefined ? {} : { baseUrl: scenario.baseUrl }),
        interceptors: [createLoggingInterceptor({ logger, level: "debug" }), createAuthInterceptor({ token: scenario.token })],
      });
      try {
        await client.getUser({ userId: "u-1" });
        for await (const _ of client.watchUsers({})) {
          // drain
        }
      } catch (e) {
        errors.push(ConnectError.from(e));
      }
    }
    expect(errors.map((e) => e.code)).toEqual([Code.Unauthenticated, Code.FailedPrecondition, Code.Unauthenticated]);
    expect(lines.length).toBeGreaterThan(3);
    for (const text of [...lines, ...errors.map((e) => `${e.message} ${String(e.cause)}`)]) {
      expect(text).not.toContain(SECRET);
    }
  });

  it("rejects bad options naming the option", () => {
    expect(() => createAuthInterceptor({ token: "" })).toThrow(/invalid option token/);
    expect(() => createAuthInterceptor({ token: 42 as unknown as string })).toThrow(/invalid option token/);
    expect(() => createAuthInterceptor({ token: "t", headerName: "Bad Name" })).toThrow(/invalid option headerName/);
    expect(() => createAuthInterceptor({ token: "t", scheme: "Bearer x" })).toThrow(/invalid option scheme/);
  });
});

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail, but it succeeded");
}
