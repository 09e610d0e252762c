import { ConnectError, type Interceptor, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { onStreamEnd } from "../transport/on-stream-end.js";
import { endRpcSpan } from "./end-rpc-span.js";
import { createServerInstruments, type ServerInstruments } from "./instruments.js";
import { createMessageTap } from "./message-tap.js";
import { describeRpc, grpcStatusName, statusAttributes } from "./rpc-attributes.js";
import { safely } from "./safely.js";
import { createTracedCallInterceptor, type TracedCall } from "./traced-call-interceptor.js";
import type { ResolvedTelemetryOptions, TelemetryOptions } from "./telemetry-options.js";
import { currentPropagator, extractTraceContext } from "./w3c-trace-context.js";

/**
 * Creates a server interceptor (for connect-node's adapters, or the reference
 * server's `telemetry` option) that records one SERVER span per call,
 * continuing the trace of the incoming `traceparent`: a call from a client
 * with the telemetry interceptor shows up as a child of that client's
 * attempt span. Attributes, status and metrics mirror the client's
 * (`rpc.server.call.duration`, `grpc.server.call.started`,
 * `grpc.server.call.duration`, message sizes). The span is active while the
 * handler runs, so calls it makes become its children (with a context manager
 * registered). Place it first, so its span covers the other interceptors.
 */
export function createServerTelemetryInterceptor(options: TelemetryOptions = {}): Interceptor {
  return createTracedCallInterceptor(options, createServerInstruments, startServerCall);
}

function startServerCall(
  config: ResolvedTelemetryOptions,
  instruments: ServerInstruments | undefined,
  req: UnaryRequest | StreamRequest,
): TracedCall {
  const rpc = describeRpc(req);
  const startMs = performance.now();
  const parent = extractTraceContext(currentPropagator(config.propagator), context.active(), req.header);
  const span = config.tracer.startSpan(rpc.fullMethod, { kind: SpanKind.SERVER, attributes: rpc.attributes }, parent);
  const labels = { "grpc.method": rpc.fullMethod };
  if (instruments !== undefined) safely("call metrics", () => instruments.grpcCallStarted.add(1, labels), undefined);
  const sizes = instruments?.recording === true ? instruments : undefined;
  const received = createMessageTap(req.method.input, sizes?.requestSize, rpc.attributes);
  const sent = createMessageTap(req.method.output, sizes?.responseSize, rpc.attributes);
  let request: UnaryRequest | StreamRequest;
  if (req.stream) {
    request = { ...req, message: received.tap(req.message) };
  } else {
    received.see(req.message);
    request = req;
  }
  let ended = false;
  const end = (error: unknown) => {
    if (ended) return;
    ended = true;
    endRpcSpan(span, rpc.system, error, {
      "rpc.messages_received": received.count(),
      "rpc.messages_sent": sent.count(),
    });
    if (instruments === undefined) return;
    safely(
      "call metrics",
      () => {
        const code = error === undefined ? undefined : ConnectError.from(error).code;
        const seconds = (performance.now() - startMs) / 1000;
        instruments.callDuration.record(seconds, { ...rpc.attributes, ...statusAttributes(rpc.system, code) });
        instruments.grpcCallDuration.record(seconds, { ...labels, "grpc.status": grpcStatusName(code) });
      },
      undefined,
    );
  };
  return {
    context: trace.setSpan(parent, span),
    request,
    responded: (message) => sent.see(message),
    watch: (res) => onStreamEnd({ ...res, message: sent.tap(res.message) }, end),
    end,
  };
}
