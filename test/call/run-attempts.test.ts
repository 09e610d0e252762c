import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { resolveCallPolicy } from "../../src/call/call-policy.js";
import { CallRegistry, GrpcCall } from "../../src/call/grpc-call.js";
import { createAttemptRunner } from "../../src/call/run-attempts.js";
import { clientLimitError } from "../../src/errors/client-limit-error.js";
import type { RetryClock } from "../../src/interceptors/backoff.js";
import { fieldsFromHeaders, type HeaderFields, headersFromFields } from "../../src/protocol/header-fields.js";
import type { TransportOptions } from "../../src/transport/transport-options.js";

// The call loop both runtimes share, in memory: a fake clock that jumps to
// each timer, a fixed jitter, and an ordered log of every attempt.

/** A clock whose timers fire in order as soon as nothing else is pending. */
function fakeClock(): RetryClock & { readonly slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    setTimeout(callback, ms) {
      const handle = { cancelled: false };
      // A deadline timer (long) never fires in these tests; backoff sleeps do.
      if (ms < 10_000) {
        setImmediate(() => {
          if (handle.cancelled) return;
          slept.push(ms);
          now += ms;
          callback();
        });
      }
      return handle;
    },
    clearTimeout(handle) {
      (handle as { cancelled: boolean }).cancelled = true;
    },
  };
}

const getUser = UserService.method.getUser;
const createUser = UserService.method.createUser;

function setup(options: Omit<TransportOptions, "baseUrl">, clock = fakeClock()) {
  const policy = resolveCallPolicy({
    baseUrl: "https://api.example.com",
    correlation: false,
    ...options,
    retry: options.retry === false ? false : { random: () => 0.5, clock, initialBackoffMs: 100, maxBackoffMs: 1_000, ...options.retry },
  });
  const run = createAttemptRunner<HeaderFields>({ policy, toHeaders: headersFromFields, fromHeaders: fieldsFromHeaders });
  const call = (timeoutMs?: number) => new GrpcCall(new CallRegistry(), clock, "user.v1.UserService/GetUser", timeoutMs, undefined);
  return { run, call, clock };
}

/** A send that fails with each error in turn, then succeeds; it logs the fields of every attempt. */
function failing(...errors: ConnectError[]) {
  const log: HeaderFields[] = [];
  const send = async (fields: HeaderFields) => {
    log.push({ ...fields });
    const error = errors.shift();
    if (error !== undefined) throw error;
    return "ok";
  };
  return { log, send };
}

describe("the shared call loop", () => {
  it("retries an idempotent method after the A6 backoff, numbering each attempt, and succeeds", async () => {
    const { run, call, clock } = setup({});
    const { log, send } = failing(new ConnectError("down", Code.Unavailable), new ConnectError("down", Code.Unavailable));
    expect(await run(call(), getUser, createContextValues(), { "x-base": "1" }, true, send)).toBe("ok");
    expect(log.map((f) => f["grpc-previous-rpc-attempts"])).toEqual([undefined, "1", "2"]);
    expect(log.every((f) => f["x-base"] === "1")).toBe(true);
    // Full jitter at 0.5: half of 100 ms, then half of 200 ms.
    expect(clock.slept).toEqual([50, 100]);
  });

  it("does not retry a method that is not idempotent", async () => {
    const { run, call } = setup({});
    const { log, send } = failing(new ConnectError("down", Code.Unavailable));
    await expect(run(call(), createUser, createContextValues(), {}, true, send)).rejects.toThrow("down");
    expect(log).toHaveLength(1);
  });

  it("never retries an error of the client's own size limits", async () => {
    const { run, call } = setup({});
    const { log, send } = failing(clientLimitError("message size 99 is larger than configured readMaxBytes 9"));
    await expect(run(call(), getUser, createContextValues(), {}, true, send)).rejects.toThrow("readMaxBytes 9");
    expect(log).toHaveLength(1);
  });

  it("writes grpc-timeout from the one deadline of the call on every attempt", async () => {
    const { run, call } = setup({});
    const { log, send } = failing(new ConnectError("down", Code.Unavailable));
    await run(call(20_000), getUser, createContextValues(), {}, true, send);
    expect(log.map((f) => f["grpc-timeout"])).toEqual(["20000m", "19950m"]);
  });

  it("sends the token, and replays the attempt once with a refreshed token after UNAUTHENTICATED", async () => {
    let n = 0;
    const { run, call } = setup({ retry: false, auth: { token: () => `t-${++n}` } });
    const { log, send } = failing(new ConnectError("stale", Code.Unauthenticated), new ConnectError("stale", Code.Unauthenticated));
    await expect(run(call(), createUser, createContextValues(), {}, true, send)).rejects.toThrow("stale");
    expect(log.map((f) => f.authorization)).toEqual(["Bearer t-1", "Bearer t-2"]);
  });

  it("sends nothing again once the call was cancelled, and ends with the cancellation", async () => {
    const { run, call } = setup({});
    const c = call();
    const send = async () => {
      c.cancel(new ConnectError("stop", Code.Canceled));
      throw new ConnectError("down", Code.Unavailable);
    };
    await expect(run(c, getUser, createContextValues(), {}, true, send)).rejects.toThrow("stop");
  });
});
