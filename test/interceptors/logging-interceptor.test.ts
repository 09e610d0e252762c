import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UserSchema, UserService } from "../../gen/user/v1/user_service_pb.js";
import { attemptCountKey } from "../../src/interceptors/attempt-count.js";
import {
  createLoggingInterceptor,
  type Logger,
  type LoggingInterceptorOptions,
  type LogLevel,
} from "../../src/interceptors/logging-interceptor.js";

interface Line {
  level: LogLevel;
  fields: Record<string, unknown>;
  message: string;
}

/** A pino-style logger that records `(fields, message)` calls in order. */
function recordingLogger() {
  const lines: Line[] = [];
  const at = (level: LogLevel) => (fields: object, message: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  };
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines };
}

/** A clock that advances 7 ms on every reading. */
function steppingClock() {
  let t = 0;
  return () => {
    t += 7;
    return t;
  };
}

function createLoggedClient(options: LoggingInterceptorOptions, inner: Interceptor[] = []) {
  const transport = createRouterTransport(
    ({ service }) => {
      service(UserService, {
        getUser(req, ctx) {
          ctx.responseHeader.set("set-cookie", "session=abc");
          ctx.responseHeader.set("x-served-by", "node-1");
          if (req.userId === "missing") {
            throw new ConnectError(`user ${req.userId} not found`, Code.NotFound);
          }
          return { user: create(UserSchema, { id: req.userId, name: "Ada" }) };
        },
        createUser(req) {
          return { user: create(UserSchema, { id: "u-9", email: req.email }) };
        },
        async *watchUsers() {
          for (let sequence = 1n; sequence <= 3n; sequence++) yield { sequence };
        },
        async bulkCreateUsers(requests) {
          let createdCount = 0;
          for await (const _ of requests) createdCount++;
          return { createdCount };
        },
      });
    },
    { transport: { interceptors: [createLoggingInterceptor(options), ...inner] } },
  );
  return createClient(UserService, transport);
}

async function* streamOf<T>(...items: T[]) {
  yield* items;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("createLoggingInterceptor", () => {
  it("logs one info line for a successful call", async () => {
    const { logger, lines } = recordingLogger();
    const client = createLoggedClient({ logger, now: steppingClock() });
    await client.getUser({ userId: "u-1" });
    expect(lines).toEqual([
      {
        level: "info",
        fields: { method: "user.v1.UserService/GetUser", code: "ok", durationMs: 7, attempts: 1 },
        message: "user.v1.UserService/GetUser ok in 7 ms",
      },
    ]);
  });

  it("logs one warn line with the code and error for a failed call", async () => {
    const { logger, lines } = recordingLogger();
    const client = createLoggedClient({ logger, now: steppingClock() });
    await expect(client.getUser({ userId: "missing" })).rejects.toThrow(/not found/);
    expect(lines).toEqual([
      {
        level: "warn",
        fields: {
          method: "user.v1.UserService/GetUser",
          code: "not_found",
          durationMs: 7,
          attempts: 1,
          error: "user missing not found",
        },
        message: "user.v1.UserService/GetUser failed with not_found in 7 ms: user missing not found",
      },
    ]);
  });

  it("logs the attempt count an inner retry interceptor recorded", async () => {
    const { logger, lines } = recordingLogger();
    const fakeRetry: Interceptor = (next) => async (req) => {
      req.contextValues.set(attemptCountKey, 3);
      return await next(req);
    };
    const client = createLoggedClient({ logger }, [fakeRetry]);
    await client.getUser({ userId: "u-1" });
    expect(lines[0]?.fields.attempts).toBe(3);
  });

  it("logs message counts for streams once the response stream ends", async () => {
    const { logger, lines } = recordingLogger();
    const client = createLoggedClient({ logger, now: steppingClock() });
    for await (const _ of client.watchUsers({})) {
      expect(lines).toEqual([]);
    }
    await client.bulkCreateUsers(streamOf({ email: "a@example.com" }, { email: "b@example.com" }));
    expect(lines.map((l) => [l.level, l.fields])).toEqual([
      ["info", { method: "user.v1.UserService/WatchUsers", code: "ok", durationMs: 7, attempts: 1, requestCount: 1, responseCount: 3 }],
      [
        "info",
        {
          method: "user.v1.UserService/BulkCreateUsers",
          code: "ok",
          durationMs: 7,
          attempts: 1,
          requestCount: 2,
          responseCount: 1,
        },
      ],
    ]);
  });

  it("drops lines below the configured level", async () => {
    const { logger, lines } = recordingLogger();
    const client = createLoggedClient({ logger, level: "warn" });
    await client.getUser({ userId: "u-1" });
    await expect(client.getUser({ userId: "missing" })).rejects.toThrow();
    expect(lines.map((l) => l.level)).toEqual(["warn"]);

    const quiet = recordingLogger();
    const quietClient = createLoggedClient({ logger: quiet.logger, level: "error" });
    await expect(quietClient.getUser({ userId: "missing" })).rejects.toThrow();
    expect(quiet.lines).toEqual([]);
  });

  it("adds redacted headers and bodies at the debug level", async () => {
    const { logger, lines } = recordingLogger();
    const client = createLoggedClient({ logger, level: "debug", redactHeaders: ["X-Api-Key"] });
    await client.getUser(
      { userId: "u-1" },
      {
        headers: {
          authorization: "Bearer very-secret",
          cookie: "session=abc",
          "proxy-authorization": "Basic eHl6",
          "x-api-key": "key-123",
          "x-request-tag": "visible",
        },
      },
    );
    expect(lines).toHaveLength(1);
    const fields = lines[0]!.fields;
    expect(fields.requestHeaders).toMatchObject({
      authorization: "[redacted]",
      cookie: "[redacted]",
      "proxy-authorization": "[redacted]",
      "x-api-key": "[redacted]",
      "x-request-tag": "visible",
    });
    expect(fields.responseHeaders).toMatchObject({ "set-cookie": "[redacted]", "x-served-by": "node-1" });
    expect(fields.request).toEqual({ userId: "u-1" });
    expect(fields.response).toEqual({ user: { id: "u-1", name: "Ada" } });
    expect(JSON.stringify(lines)).not.toMatch(/very-secret|session=abc|key-123|eHl6/);
  });

  it("never logs a field named password", async () => {
    const { logger, lines } = recordingLogger();
    const client = createLoggedClient({ logger, level: "debug" });
    await client.createUser({ email: "a@example.com", password: "hunter2" });
    await client.bulkCreateUsers(streamOf({ email: "b@example.com", password: "hunter3" }));
    expect(lines[0]?.fields.request).toEqual({ email: "a@example.com", password: "[redacted]" });
    const streamLine = lines.find((l) => l.fields.direction === "request");
    expect(streamLine).toMatchObject({
      level: "debug",
      fields: { method: "user.v1.UserService/BulkCreateUsers", index: 1, message: { password: "[redacted]" } },
    });
    expect(JSON.stringify(lines)).not.toMatch(/hunter/);
  });

  it("keeps bodies and headers out of lines above the debug level", async () => {
    const { logger, lines } = recordingLogger();
    const client = createLoggedClient({ logger });
    await client.createUser({ email: "a@example.com", password: "hunter2" }, { headers: { "x-tag": "t" } });
    expect(Object.keys(lines[0]!.fields).sort()).toEqual(["attempts", "code", "durationMs", "method"]);
  });

  it("accepts console, which gets the fields and the message", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => undefined);
    const client = createLoggedClient({ now: steppingClock() });
    await client.getUser({ userId: "u-1" });
    expect(info).toHaveBeenCalledWith(
      { method: "user.v1.UserService/GetUser", code: "ok", durationMs: 7, attempts: 1 },
      "user.v1.UserService/GetUser ok in 7 ms",
    );
  });

  it("does not fail a call when the logger throws", async () => {
    const broken = () => {
      throw new Error("disk full");
    };
    const client = createLoggedClient({ logger: { debug: broken, info: broken, warn: broken, error: broken } });
    const res = await client.getUser({ userId: "u-1" });
    expect(res.user?.id).toBe("u-1");
  });

  it("rejects bad options naming the option", () => {
    expect(() => createLoggingInterceptor({ level: "trace" as LogLevel })).toThrow(/invalid option level/);
    expect(() => createLoggingInterceptor({ logger: {} as Logger })).toThrow(/invalid option logger/);
  });
});
