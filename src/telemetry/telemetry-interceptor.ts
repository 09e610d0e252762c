import {
  Code,
  ConnectError,
  type ContextKey,
  type ContextValues,
  type Interceptor,
  type StreamRequest,
  type UnaryRequest,
} from "@connectrpc/connect";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { attemptObserverKey } from "../interceptors/attempt-observer.js";
import { onStreamEnd } from "../transport/on-stream-end.js";
import { createAttemptSpans } from "./attempt-spans.js";
import { endRpcSpan } from "./end-rpc-span.js";
import { type ClientInstruments, createClientInstruments } from "./instruments.js";
import { createMessageTap } from "./message-tap.js";
import { describeRpc, grpcStatusName, statusAttributes } from "./rpc-attributes.js";
import { safely } from "./safely.js";
import { createTracedCallInterceptor, type TracedCall } from "./traced-call-interceptor.js";
import type { ResolvedTelemetryOptions, TelemetryOptions } from "./telemetry-options.js";
import { currentPropagator, injectTraceContext } from "./w3c-trace-context.js";

/**
 * Creates a client interceptor that traces and measures calls with
 * OpenTelemetry. Pass it as `createTransport({ telemetry })`, which runs it
 * outermost, or first in any Connect transport's `interceptors`.
 *
 * Traces: one CLIENT span per call, named "user.v1.UserService/GetUser",
 * child of the active span, with `rpc.system` ("grpc" for gRPC and gRPC-Web,
 * "connect_rpc"), `rpc.service`, `rpc.method`, `server.address`,
 * `server.port`, `rpc.grpc.status_code` (or `rpc.connect_rpc.error_code`),
 * `rpc.messages_sent` and `rpc.messages_received`; status ERROR and an
 * exception event on failure. Its context goes out in the request headers
 * (`traceparent`). Inside the retry interceptor (createTransport's stack, or
 * listed after this one) every attempt, the first too, gets a child span
 * that carries the headers instead: the server span of an attempt is then
 * that attempt's child, whether or not a retry follows, which cannot be known
 * when the first attempt is sent.
 *
 * Metrics: see createClientInstruments, or the README. A streaming call ends
 * when its response stream does, or when its signal aborts (a caller that
 * stops reading a stream should abort it: connect-es keeps it open until then).
 *
 * Telemetry never changes a call: whatever the SDK, an exporter or the
 * propagator throws is reported to OpenTelemetry's `diag` logger and
 * dropped. Works in browsers too; for parent spans across `await`, register a
 * context manager (Node: AsyncLocalStorageContextManager).
 */
export function createTelemetryInterceptor(options: TelemetryOptions = {}): Interceptor {
  return createTracedCallInterceptor(options, createClientInstruments, startClientCall);
}

function startClientCall(
  config: ResolvedTelemetryOptions,
  instruments: ClientInstruments | undefined,
  req: UnaryRequest | StreamRequest,
): TracedCall {
  const rpc = describeRpc(req);
  const startMs = performance.now();
  const parent = context.active();
  const span = config.tracer.startSpan(rpc.fullMethod, { kind: SpanKind.CLIENT, attributes: rpc.attributes }, parent);
  const callContext = trace.setSpan(parent, span);
  const propagator = currentPropagator(config.propagator);
  injectTraceContext(propagator, callContext, req.header);
  const sizes = instruments?.recording === true ? instruments : undefined;
  const sent = createMessageTap(req.method.input, sizes?.requestSize, rpc.attributes);
  const received = createMessageTap(req.method.output, sizes?.responseSize, rpc.attributes);
  const attempts = createAttemptSpans({ tracer: config.tracer, propagator, instruments, rpc, callSpan: span, callContext });
  const contextValues = withValue(req.contextValues, attemptObserverKey, attempts);
  let request: UnaryRequest | StreamRequest;
  if (req.stream) {
    request = { ...req, contextValues, message: sent.tap(req.message) };
  } else {
    sent.see(req.message);
    request = { ...req, contextValues };
  }

  let ended = false;
  const end = (error: unknown) => {
    if (ended) return;
    ended = true;
    attempts.endOpen(error);
    endRpcSpan(span, rpc.system, error, {
      "rpc.messages_sent": sent.count(),
      "rpc.messages_received": received.count(),
    });
    if (instruments === undefined) return;
    safely(
      "call metrics",
      () => {
        const code = error === undefined ? undefined : ConnectError.from(error).code;
        const seconds = (performance.now() - startMs) / 1000;
        const labels = { "grpc.method": rpc.fullMethod, "grpc.target": rpc.target };
        const withStatus = { ...labels, "grpc.status": grpcStatusName(code) };
        instruments.callDuration.record(seconds, { ...rpc.attributes, ...statusAttributes(rpc.system, code) });
        instruments.grpcCallDuration.record(seconds, withStatus);
        const summary = attempts.summary();
        if (summary.started === 0) {
          // No retry interceptor reported attempts: the call was its one attempt.
          instruments.attemptStarted.add(1, labels);
          instruments.attemptDuration.record(seconds, withStatus);
        }
        instruments.retries.record(summary.retries, labels);
        instruments.transparentRetries.record(summary.transparentRetries, labels);
        instruments.retryDelay.record(summary.delayMs / 1000, labels);
      },
      undefined,
    );
  };
  return {
    context: callContext,
    request,
    responded: (message) => received.see(message),
    watch(res) {
      // connect-es hides return() from the caller, so a stream the caller
      // stops reading never ends here: it ends when the call's signal aborts
      // (the caller's abort, the deadline), which connect-es also does, later,
      // when a stream completes.
      const onAbort = () => end(ConnectError.from(req.signal.reason, Code.Canceled));
      req.signal.addEventListener("abort", onAbort, { once: true });
      return onStreamEnd({ ...res, message: received.tap(res.message) }, (error) => {
        req.signal.removeEventListener("abort", onAbort);
        end(error);
      });
    },
    end,
  };
}

/**
 * `values` with `key` set to `value` for this call only. The caller's own
 * ContextValues may be shared between calls (they are passed in call
 * options), so the observer of one call must not land in it; every other
 * key reads and writes through, e.g. the retry interceptor's attempt count.
 */
function withValue<T>(values: ContextValues, key: ContextKey<T>, value: T): ContextValues {
  const overlay: ContextValues = {
    get: <U>(k: ContextKey<U>) => (k.id === key.id ? (value as unknown as U) : values.get(k)),
    set(k, v) {
      if (k.id !== key.id) values.set(k, v);
      return overlay;
    },
    delete(k) {
      if (k.id !== key.id) values.delete(k);
      return overlay;
    },
  };
  return overlay;
}
