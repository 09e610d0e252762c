import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { DEFAULT_RETRY_CODES, resolveRetryOptions } from "../../src/interceptors/retry-options.js";

function rejection(run: () => unknown): ConnectError {
  try {
    run();
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected an error");
}

describe("resolveRetryOptions", () => {
  it("applies the documented defaults", () => {
    const resolved = resolveRetryOptions();
    expect(resolved).toMatchObject({
      maxAttempts: 4,
      initialBackoffMs: 100,
      maxBackoffMs: 10_000,
      backoffMultiplier: 2,
      throttle: { maxTokens: 10, tokenRatio: 0.1 },
    });
    expect([...resolved.retryableCodes]).toEqual([...DEFAULT_RETRY_CODES]);
    expect(DEFAULT_RETRY_CODES).toEqual([Code.Unavailable, Code.ResourceExhausted, Code.Aborted]);
    expect(resolved.retryMethods.size).toBe(0);
  });

  it("clamps maxAttempts above 10 to 10", () => {
    expect(resolveRetryOptions({ maxAttempts: 11 }).maxAttempts).toBe(10);
    expect(resolveRetryOptions({ maxAttempts: Infinity }).maxAttempts).toBe(10);
    expect(resolveRetryOptions({ maxAttempts: 1 }).maxAttempts).toBe(1);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects maxAttempts %s, naming it", (n) => {
    const error = rejection(() => resolveRetryOptions({ maxAttempts: n }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("maxAttempts");
  });

  it.each([
    ["initialBackoffMs", { initialBackoffMs: 0 }],
    ["maxBackoffMs", { maxBackoffMs: Infinity }],
    ["backoffMultiplier", { backoffMultiplier: -2 }],
    ["maxTokens", { maxTokens: 0 }],
    ["tokenRatio", { tokenRatio: 0.0001 }],
    ["retryableCodes", { retryableCodes: [99 as Code] }],
  ])("rejects a bad %s, naming it", (name, options) => {
    const error = rejection(() => resolveRetryOptions(options));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(name);
  });

  it("does not check the throttle options when throttling is off", () => {
    expect(resolveRetryOptions({ throttle: false, maxTokens: 0 }).throttle).toBe(undefined);
  });

  it("accepts every documented form of retryMethods", () => {
    const resolved = resolveRetryOptions({
      retryMethods: [
        "/user.v1.UserService/CreateUser",
        "user.v1.UserService/UpdateUser",
        "user.v1.UserService.BulkCreateUsers",
        UserService.method.watchUsers,
      ],
    });
    expect([...resolved.retryMethods]).toEqual([
      "user.v1.UserService/CreateUser",
      "user.v1.UserService/UpdateUser",
      "user.v1.UserService/BulkCreateUsers",
      "user.v1.UserService/WatchUsers",
    ]);
  });

  it.each(["CreateUser", "", "user.v1.UserService/", "/CreateUser"])("rejects the retryMethods entry %j", (entry) => {
    const error = rejection(() => resolveRetryOptions({ retryMethods: [entry] }));
    expect(error.rawMessage).toContain("retryMethods");
  });
});
