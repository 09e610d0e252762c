import { describe, expect, it } from "vitest";
import { createRetryThrottle } from "../../src/interceptors/retry-throttle.js";

describe("createRetryThrottle", () => {
  it("starts full and allows retries while above half", () => {
    const throttle = createRetryThrottle({ maxTokens: 10, tokenRatio: 0.1 });
    expect(throttle.tokens()).toBe(10);
    for (let i = 0; i < 4; i++) throttle.recordFailure();
    expect(throttle.tokens()).toBe(6);
    expect(throttle.allowsRetry()).toBe(true);
    throttle.recordFailure();
    expect(throttle.tokens()).toBe(5);
    expect(throttle.allowsRetry()).toBe(false);
  });

  it("earns exactly tokenRatio per success, without rounding drift", () => {
    const throttle = createRetryThrottle({ maxTokens: 10, tokenRatio: 0.1 });
    for (let i = 0; i < 5; i++) throttle.recordFailure();
    for (let i = 0; i < 10; i++) throttle.recordSuccess();
    expect(throttle.tokens()).toBe(6);
    expect(throttle.allowsRetry()).toBe(true);
  });

  it("stays between zero and maxTokens", () => {
    const throttle = createRetryThrottle({ maxTokens: 3, tokenRatio: 0.5 });
    for (let i = 0; i < 10; i++) throttle.recordSuccess();
    expect(throttle.tokens()).toBe(3);
    for (let i = 0; i < 10; i++) throttle.recordFailure();
    expect(throttle.tokens()).toBe(0);
    throttle.recordSuccess();
    expect(throttle.tokens()).toBe(0.5);
  });
});
