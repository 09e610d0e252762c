import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { afterEach } from "vitest";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { UserServiceServerOptions } from "../../src/users/server.js";
import { type RunningServer, startServer } from "./test-server.js";

/**
 * One fault, applied to the first `times` attempts of a method. A method is
 * named by its proto name ("GetUser"); attempts are counted per method, from 1.
 */
export type Fault =
  | {
      /** Answers without running the handler. */
      readonly kind: "fail";
      readonly method: string;
      readonly times: number;
      readonly code: Code;
      /** Sent as `grpc-retry-pushback-ms` metadata (gRFC A6). */
      readonly pushbackMs?: number;
      /** Sent as a google.rpc.RetryInfo detail. */
      readonly retryDelayMs?: number;
    }
  | {
      /** Runs the handler, then answers UNAVAILABLE: the work is done but the client never hears of it. */
      readonly kind: "lose-response";
      readonly method: string;
      readonly times: number;
    }
  | {
      /** Waits `ms` (or until the call is cancelled) before going on. */
      readonly kind: "stall";
      readonly method: string;
      readonly times: number;
      readonly ms: number;
    }
  | {
      /** Replaces a unary response message, e.g. to send one larger than a client accepts. */
      readonly kind: "rewrite";
      readonly method: string;
      readonly times: number;
      readonly rewrite: (message: unknown) => unknown;
    }
  | {
      /** Ends a response stream with UNAVAILABLE after `afterMessages` messages. */
      readonly kind: "break-stream";
      readonly method: string;
      readonly times: number;
      readonly afterMessages: number;
    };

/** Builders for {@link Fault}s; `times` defaults to every attempt. */
export const fault = {
  fail: (method: string, o: { code: Code; times?: number; pushbackMs?: number; retryDelayMs?: number }): Fault => ({
    kind: "fail",
    method,
    times: o.times ?? Infinity,
    code: o.code,
    ...(o.pushbackMs !== undefined && { pushbackMs: o.pushbackMs }),
    ...(o.retryDelayMs !== undefined && { retryDelayMs: o.retryDelayMs }),
  }),
  loseResponse: (method: string, o: { times?: number } = {}): Fault => ({
    kind: "lose-response",
    method,
    times: o.times ?? Infinity,
  }),
  stall: (method: string, o: { ms: number; times?: number }): Fault => ({
    kind: "stall",
    method,
    times: o.times ?? Infinity,
    ms: o.ms,
  }),
  rewrite: (method: string, o: { rewrite: (message: unknown) => unknown; times?: number }): Fault => ({
    kind: "rewrite",
    method,
    times: o.times ?? Infinity,
    rewrite: o.rewrite,
  }),
  breakStream: (method: string, o: { afterMessages: number; times?: number }): Fault => ({
    kind: "break-stream",
    method,
    times: o.times ?? Infinity,
    afterMessages: o.afterMessages,
  }),
};

/** What the server saw of one attempt. */
export interface AttemptRecord {
  readonly method: string;
  /** 1 for the first attempt of this method on this server. */
  readonly attempt: number;
  /** `performance.now()` when the attempt reached the handler side. */
  readonly atMs: number;
  /** A copy of the request headers. */
  readonly header: Headers;
  /** The request message of a unary or server-streaming call; undefined for the others. */
  readonly message: unknown;
}

/** A server interceptor that injects faults, and the log of every attempt it saw. */
export interface FaultInterceptor {
  /** Pass it in `createUserServiceServer({ interceptors })`: it runs right around the handlers. */
  readonly interceptor: Interceptor;
  /** Every attempt, in arrival order. */
  readonly attempts: readonly AttemptRecord[];
  /** The attempts of one method. */
  attemptsOf(method: string): AttemptRecord[];
  /** The gaps in milliseconds between consecutive attempts of one method. */
  gapsOf(method: string): number[];
}

/**
 * Creates a fault interceptor. For each attempt the faults that apply run in
 * this order: stall, fail, then (around the handler) lose-response, rewrite
 * and break-stream. An attempt sits inside the server's auth check, so calls
 * with a wrong token are not logged here.
 */
export function createFaultInterceptor(...faults: Fault[]): FaultInterceptor {
  const attempts: AttemptRecord[] = [];
  const counts = new Map<string, number>();
  const attemptsOf = (method: string) => attempts.filter((a) => a.method === method);

  const interceptor: Interceptor = (next) => async (req) => {
    let message: unknown;
    if (!req.stream) message = req.message;
    else if (req.method.methodKind === "server_streaming") {
      // The single request message can be read once: read it, then hand the handler a copy.
      const messages = [];
      for await (const m of req.message) messages.push(m);
      message = messages[0];
      req = { ...req, message: iterate(messages) };
    }
    const method = req.method.name;
    const attempt = (counts.get(method) ?? 0) + 1;
    counts.set(method, attempt);
    attempts.push({
      method,
      attempt,
      atMs: performance.now(),
      header: new Headers(req.header),
      message,
    });
    const active = faults.filter((f) => f.method === method && attempt <= f.times);
    const find = <K extends Fault["kind"]>(kind: K) => active.find((f): f is Extract<Fault, { kind: K }> => f.kind === kind);

    const stall = find("stall");
    if (stall) await sleep(stall.ms, req.signal);
    const fail = find("fail");
    if (fail) throw failure(fail, method, attempt);
    const res = await next(req);
    if (find("lose-response")) {
      throw new ConnectError(`fault: ${method} response lost after the handler ran`, Code.Unavailable);
    }
    const rewrite = find("rewrite");
    if (rewrite && !res.stream) return { ...res, message: rewrite.rewrite(res.message) } as typeof res;
    const broken = find("break-stream");
    if (broken && res.stream) return breakAfter(res, broken.afterMessages, method);
    return res;
  };

  return {
    interceptor,
    attempts,
    attemptsOf,
    gapsOf(method) {
      const at = attemptsOf(method).map((a) => a.atMs);
      return at.slice(1).map((t, i) => t - at[i]!);
    },
  };
}

function failure(f: Extract<Fault, { kind: "fail" }>, method: string, attempt: number): ConnectError {
  const metadata = new Headers();
  if (f.pushbackMs !== undefined) metadata.set("grpc-retry-pushback-ms", String(f.pushbackMs));
  const details =
    f.retryDelayMs === undefined
      ? []
      : [
          {
            desc: RetryInfoSchema,
            value: create(RetryInfoSchema, {
              retryDelay: {
                seconds: BigInt(Math.floor(f.retryDelayMs / 1000)),
                nanos: (f.retryDelayMs % 1000) * 1_000_000,
              },
            }),
          },
        ];
  return new ConnectError(`fault: ${method} attempt ${attempt} failed`, f.code, metadata, details);
}

function breakAfter(res: StreamResponse, afterMessages: number, method: string): StreamResponse {
  const messages = res.message;
  return {
    ...res,
    message: (async function* () {
      let sent = 0;
      if (afterMessages === 0) throw brokenStream(method, 0);
      // Leaving the loop by throwing calls return() on the handler's stream, so it cleans up.
      for await (const m of messages) {
        yield m;
        if (++sent >= afterMessages) throw brokenStream(method, sent);
      }
    })(),
  };
}

function brokenStream(method: string, sent: number): ConnectError {
  return new ConnectError(`fault: ${method} stream broken after ${sent} messages`, Code.Unavailable);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(ConnectError.from(signal.reason, Code.Canceled));
    const onAbort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason, Code.Canceled));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

/**
 * Registers an afterEach that closes every server it started, and returns a
 * function starting a reference server (port 0) with `faults` injected.
 * Call it at the top level of a test file.
 */
export function useFaultyServers(): (
  faults?: Fault[],
  options?: UserServiceServerOptions,
) => Promise<{ s: RunningServer; faults: FaultInterceptor }> {
  const running: RunningServer[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.server.close()));
  });
  return async (faults = [], options = {}) => {
    const interceptor = createFaultInterceptor(...faults);
    const s = await startServer(undefined, { ...options, interceptors: [interceptor.interceptor] });
    running.push(s);
    return { s, faults: interceptor };
  };
}
