import { Code, ConnectError } from "@connectrpc/connect";
import { type MeterProvider, metrics, type TextMapPropagator, trace, type Tracer, type TracerProvider } from "@opentelemetry/api";
import { instrumentationScope } from "./instruments.js";

/** Options of `createTelemetryInterceptor` and `createServerTelemetryInterceptor`, every one optional. */
export interface TelemetryOptions {
  /**
   * Where spans go, e.g. the SDK's `TracerProvider` or `NodeTracerProvider`.
   * Defaults to the global tracer provider (`trace.setGlobalTracerProvider`),
   * which is a no-op until an SDK registers one.
   */
  tracerProvider?: TracerProvider;
  /**
   * Where metrics go, e.g. the SDK's `MeterProvider`. Defaults to the global
   * meter provider (`metrics.setGlobalMeterProvider`), as registered at the
   * interceptor's first call.
   */
  meterProvider?: MeterProvider;
  /**
   * How the trace context travels in request headers. Defaults to the global
   * propagator when one is registered (`propagation.setGlobalPropagator`, as
   * the Node SDK does), else W3C Trace Context (`traceparent`, `tracestate`).
   */
  propagator?: TextMapPropagator;
}

/** Options with their defaults resolved. */
export interface ResolvedTelemetryOptions {
  readonly tracer: Tracer;
  /** The meter provider given, or the global one at the time of asking. */
  meterProvider(): MeterProvider;
  readonly propagator: TextMapPropagator | undefined;
}

/** Checks the options once, at construction, and resolves their defaults. */
export function resolveTelemetryOptions(options: TelemetryOptions): ResolvedTelemetryOptions {
  if (typeof options !== "object" || options === null) throw invalid("options", "must be an object");
  const { tracerProvider, meterProvider, propagator } = options;
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== "function") {
    throw invalid("tracerProvider", "must be an OpenTelemetry TracerProvider (with getTracer)");
  }
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== "function") {
    throw invalid("meterProvider", "must be an OpenTelemetry MeterProvider (with getMeter)");
  }
  if (propagator !== undefined && (typeof propagator?.inject !== "function" || typeof propagator.extract !== "function")) {
    throw invalid("propagator", "must be an OpenTelemetry TextMapPropagator (with inject and extract)");
  }
  return {
    // The global provider is a proxy: an SDK registered later still gets the spans.
    tracer: (tracerProvider ?? trace.getTracerProvider()).getTracer(instrumentationScope),
    meterProvider: () => meterProvider ?? metrics.getMeterProvider(),
    propagator,
  };
}

function invalid(option: string, problem: string): ConnectError {
  return new ConnectError(`invalid telemetry option ${option}: ${problem}`, Code.InvalidArgument);
}
