import {
  type Context,
  createTraceState,
  isSpanContextValid,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";
import { safely } from "./safely.js";

const traceparentHeader = "traceparent";
const tracestateHeader = "tracestate";
// version "-" trace-id "-" parent-id "-" trace-flags, then more fields in later versions.
const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): `traceparent`
 * and `tracestate`. The same wire format as W3CTraceContextPropagator of
 * @opentelemetry/core, built in so that this package needs nothing but
 * @opentelemetry/api.
 */
export const w3cTraceContextPropagator: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const spanContext = trace.getSpanContext(ctx);
    if (spanContext === undefined || !isSpanContextValid(spanContext)) return;
    const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
    setter.set(carrier, traceparentHeader, `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
    const state = spanContext.traceState?.serialize();
    if (state) setter.set(carrier, tracestateHeader, state);
  },
  extract(ctx, carrier, getter) {
    const match = traceparentPattern.exec(first(getter.get(carrier, traceparentHeader))?.trim() ?? "");
    if (match === null) return ctx;
    const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
    // Version ff is invalid; version 00 has exactly four fields.
    if (version === "ff" || (version === "00" && rest !== undefined)) return ctx;
    const spanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
    if (!isSpanContextValid(spanContext)) return ctx;
    const state = getter.get(carrier, tracestateHeader);
    const traceState = state === undefined ? undefined : createTraceState(Array.isArray(state) ? state.join(",") : state);
    return trace.setSpanContext(ctx, traceState === undefined ? spanContext : { ...spanContext, traceState });
  },
  fields: () => [traceparentHeader, tracestateHeader],
};

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The propagator to use for one call: the one given in the options, else the
 * global one (`propagation.setGlobalPropagator`, which the Node SDK sets up),
 * else W3C Trace Context. Without a global propagator the API's is a no-op,
 * and a trace would silently stop at every process boundary; W3C Trace
 * Context is what the SDK registers by default, so that is the fallback.
 * Asked per call: a propagator registered after the interceptor was created counts.
 */
export function currentPropagator(configured: TextMapPropagator | undefined): TextMapPropagator {
  if (configured !== undefined) return configured;
  return propagation.fields().length > 0 ? globalPropagator : w3cTraceContextPropagator;
}

const globalPropagator: TextMapPropagator = {
  inject: (ctx, carrier, setter) => propagation.inject(ctx, carrier, setter),
  extract: (ctx, carrier, getter) => propagation.extract(ctx, carrier, getter),
  fields: () => propagation.fields(),
};

/** Writes propagation fields into fetch-style request headers. */
export const headerSetter: TextMapSetter<Headers> = {
  set: (header, key, value) => header.set(key, value),
};

/** Reads propagation fields from fetch-style request headers. */
export const headerGetter: TextMapGetter<Headers> = {
  keys: (header) => [...header.keys()],
  get: (header, key) => header.get(key) ?? undefined,
};

/** Writes the trace context of `ctx` into `header`; never throws. */
export function injectTraceContext(propagator: TextMapPropagator, ctx: Context, header: Headers): void {
  safely("propagator.inject", () => propagator.inject(ctx, header, headerSetter), undefined);
}

/** The context `header` continues (its parent span), on top of `ctx`; `ctx` when there is none or on error. */
export function extractTraceContext(propagator: TextMapPropagator, ctx: Context, header: Headers): Context {
  return safely("propagator.extract", () => propagator.extract(ctx, header, headerGetter), ctx);
}
