import { Code, ConnectError } from "@connectrpc/connect";
import type { RetryClock } from "../interceptors/backoff.js";
import { callerAbortError } from "../interceptors/retry-budget.js";

/**
 * One RPC from the caller's side, on any runtime (gRPC over node:http2,
 * gRPC-Web over fetch): it owns the call's deadline (one timer),
 * its cancellation (one path: the caller's signal, the deadline and the
 * transport's `close()` all end in {@link GrpcCall.cancel}) and whatever the
 * call waits for right now (an HTTP/2 exchange, a backoff sleep, a token
 * fetch, a connection). Nothing here allocates on the success path beyond
 * the object itself: no AbortController, no error, no Headers.
 */
export class GrpcCall {
  /** Why the call ended before its response: the caller's abort, the deadline or close(); undefined while it runs. */
  ended: ConnectError | undefined = undefined;
  /** The absolute deadline on the call's clock, or undefined for none. */
  readonly deadlineAt: number | undefined;
  /** Ends what the call waits for now; set by whoever waits, cleared when the wait is over. */
  interrupt: ((reason: ConnectError) => void) | undefined = undefined;
  private timer: unknown = undefined;
  private controller: AbortController | undefined = undefined;
  private finished = false;

  constructor(
    private readonly registry: CallRegistry,
    private readonly clock: RetryClock,
    /** "user.v1.UserService/GetUser", for error messages. */
    readonly name: string,
    /** The call's timeout in ms, or undefined for none; > 0. */
    readonly timeoutMs: number | undefined,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    registry.add(this);
    if (timeoutMs !== undefined) {
      this.deadlineAt = clock.now() + timeoutMs;
      this.timer = clock.setTimeout(() => {
        this.timer = undefined;
        this.cancel(new ConnectError(`deadline exceeded after ${Math.round(timeoutMs)} ms calling ${name}`, Code.DeadlineExceeded));
      }, timeoutMs);
    }
    if (callerSignal !== undefined) {
      if (callerSignal.aborted) this.cancel(callerAbortError(callerSignal));
      else watchSignal(callerSignal, this);
    }
  }

  /** Milliseconds left before the deadline; Infinity without one. */
  remainingMs(): number {
    return this.deadlineAt === undefined ? Infinity : this.deadlineAt - this.clock.now();
  }

  /** Ends the call with `reason`, once: the first reason wins, and what it waits for is interrupted. */
  cancel(reason: ConnectError): void {
    if (this.ended !== undefined || this.finished) return;
    this.ended = reason;
    const interrupt = this.interrupt;
    this.interrupt = undefined;
    interrupt?.(reason);
    this.controller?.abort(reason);
  }

  /** A promise that settles like `promise`, or rejects with the call's end reason as soon as the call is cancelled. */
  wait<T>(promise: Promise<T>): Promise<T> {
    if (this.ended !== undefined) return Promise.reject(this.ended);
    return new Promise<T>((resolve, reject) => {
      const interrupt = (reason: ConnectError) => reject(reason);
      this.interrupt = interrupt;
      promise.then(
        (value) => {
          if (this.interrupt === interrupt) this.interrupt = undefined;
          resolve(value);
        },
        (error: unknown) => {
          if (this.interrupt === interrupt) this.interrupt = undefined;
          reject(error);
        },
      );
    });
  }

  /** Sleeps `ms` on the call's clock; the call's cancellation ends the sleep at once. */
  sleep(ms: number): Promise<void> {
    if (this.ended !== undefined) return Promise.reject(this.ended);
    return new Promise<void>((resolve, reject) => {
      const handle = this.clock.setTimeout(() => {
        this.interrupt = undefined;
        resolve();
      }, ms);
      this.interrupt = (reason) => {
        this.clock.clearTimeout(handle);
        reject(reason);
      };
    });
  }

  /**
   * An AbortSignal that aborts when the call is cancelled, for interceptors
   * that ask for one; made on first use only.
   */
  signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.ended !== undefined) this.controller.abort(this.ended);
    }
    return this.controller.signal;
  }

  /** The call is over: its timer and listener go, and it no longer counts as active. Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.interrupt = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.callerSignal !== undefined) unwatchSignal(this.callerSignal, this);
    this.registry.delete(this);
  }
}

/**
 * The calls waiting on each caller signal. One listener per signal, however
 * many calls share it (a client's lifetime signal is passed to every call it
 * makes): an EventTarget listener per call was a measurable share of a
 * small call's CPU, a Set entry is not.
 */
const watchers = new WeakMap<AbortSignal, Set<GrpcCall>>();

function watchSignal(signal: AbortSignal, call: GrpcCall): void {
  let calls = watchers.get(signal);
  if (calls === undefined) {
    const set = new Set<GrpcCall>();
    calls = set;
    watchers.set(signal, set);
    signal.addEventListener(
      "abort",
      () => {
        watchers.delete(signal);
        const reason = callerAbortError(signal);
        for (const c of [...set]) c.cancel(reason);
      },
      { once: true },
    );
  }
  calls.add(call);
}

function unwatchSignal(signal: AbortSignal, call: GrpcCall): void {
  watchers.get(signal)?.delete(call);
}

/** The calls in flight of one transport, for `activeCalls()` and a graceful `close()`. */
export class CallRegistry {
  private readonly calls = new Set<GrpcCall>();
  private onIdle: (() => void) | undefined;

  get size(): number {
    return this.calls.size;
  }
  add(call: GrpcCall): void {
    this.calls.add(call);
  }
  delete(call: GrpcCall): void {
    if (this.calls.delete(call) && this.calls.size === 0) this.onIdle?.();
  }
  /** Resolves when no call is in flight, or after `graceMs`, whichever comes first. */
  idle(graceMs: number): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, graceMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.onIdle = undefined;
        resolve();
      }
      this.onIdle = done;
    });
  }
  /** Cancels every call in flight with `reason`. */
  cancelAll(reason: ConnectError): void {
    for (const call of [...this.calls]) call.cancel(reason);
  }
}
