import { ConnectError } from "@connectrpc/connect";
import type { Attributes, Context, Span, TextMapPropagator, Tracer } from "@opentelemetry/api";
import { SpanKind, trace } from "@opentelemetry/api";
import type { AttemptObserver } from "../interceptors/attempt-observer.js";
import { endRpcSpan } from "./end-rpc-span.js";
import type { ClientInstruments } from "./instruments.js";
import { grpcStatusName, type RpcDescription, statusAttributes } from "./rpc-attributes.js";
import { safely } from "./safely.js";
import { injectTraceContext } from "./w3c-trace-context.js";

/** The attempts of one call, as gRFC A96 counts them. */
export interface AttemptSummary {
  /** Attempts the retry interceptor started; 0 without one. */
  started: number;
  /** Retries, transparent ones excluded. */
  retries: number;
  transparentRetries: number;
  /** Milliseconds spent between attempts. */
  delayMs: number;
}

/** An attempt observer that traces and measures each attempt of one call. */
export interface AttemptSpans extends AttemptObserver {
  summary(): Readonly<AttemptSummary>;
  /**
   * Ends the attempts still open with the call's outcome: the attempt of a
   * server stream the caller abandoned never hears its stream end.
   */
  endOpen(error: unknown): void;
}

/** Where the attempt spans of a call go, and what they say. */
export interface AttemptSpansInit {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
  readonly instruments: ClientInstruments | undefined;
  readonly rpc: RpcDescription;
  readonly callSpan: Span;
  /** The context of the call span: each attempt span is its child. */
  readonly callContext: Context;
}

/**
 * Creates the observer the telemetry interceptor hands the retry interceptor.
 * Each attempt gets a span `<method> attempt`, child of the call span, with
 * `rpc.attempt.number`, `rpc.attempt.delay_ms` (the backoff or pushback slept
 * before it) and `rpc.attempt.transparent`, and its own `traceparent`, so the
 * server span of an attempt is that attempt's child. A retry the throttle
 * refuses becomes a "retry throttled" event on the call span.
 */
export function createAttemptSpans(init: AttemptSpansInit): AttemptSpans {
  const { rpc, instruments } = init;
  const summary: AttemptSummary = { started: 0, retries: 0, transparentRetries: 0, delayMs: 0 };
  const labels: Attributes = { "grpc.method": rpc.fullMethod, "grpc.target": rpc.target };
  const open = new Set<(error: ConnectError | undefined) => void>();
  return {
    summary: () => summary,
    endOpen(error) {
      const connectError = error === undefined ? undefined : ConnectError.from(error);
      for (const end of [...open]) end(connectError);
    },
    attemptStarted(start) {
      summary.started++;
      if (start.attempt > 1) {
        if (start.transparent) summary.transparentRetries++;
        else summary.retries++;
      }
      summary.delayMs += start.delayMs;
      const startMs = performance.now();
      const attributes: Attributes = {
        "rpc.attempt.number": start.attempt,
        "rpc.attempt.delay_ms": start.delayMs,
        "rpc.attempt.transparent": start.transparent,
      };
      const span = safely(
        "attempt span start",
        () => init.tracer.startSpan(`${rpc.fullMethod} attempt`, { kind: SpanKind.INTERNAL, attributes }, init.callContext),
        undefined,
      );
      if (span !== undefined) injectTraceContext(init.propagator, trace.setSpan(init.callContext, span), start.header);
      if (instruments !== undefined) safely("attempt metrics", () => instruments.attemptStarted.add(1, labels), undefined);
      const end = (error: ConnectError | undefined) => {
        if (!open.delete(end)) return;
        if (span !== undefined) endRpcSpan(span, rpc.system, error);
        if (instruments === undefined) return;
        const seconds = (performance.now() - startMs) / 1000;
        safely(
          "attempt metrics",
          () => instruments.attemptDuration.record(seconds, { ...labels, "grpc.status": grpcStatusName(error?.code) }),
          undefined,
        );
      };
      open.add(end);
      return end;
    },
    retryThrottled(error) {
      safely(
        "throttled retry event",
        () =>
          init.callSpan.addEvent("retry throttled", {
            "rpc.attempt.number": summary.started,
            ...statusAttributes(rpc.system, error.code),
          }),
        undefined,
      );
      if (instruments !== undefined) safely("throttle metrics", () => instruments.throttledRetries.add(1, labels), undefined);
    },
  };
}
