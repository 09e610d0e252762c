import { createTraceState, propagation, ROOT_CONTEXT, trace, TraceFlags } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  currentPropagator,
  extractTraceContext,
  headerGetter,
  headerSetter,
  injectTraceContext,
  w3cTraceContextPropagator,
} from "../../src/telemetry/w3c-trace-context.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const spanId = "00f067aa0ba902b7";
const spanContext = { traceId, spanId, traceFlags: TraceFlags.SAMPLED, traceState: createTraceState("vendor=a,other=b") };
const withSpan = trace.setSpanContext(ROOT_CONTEXT, spanContext);

describe("w3cTraceContextPropagator", () => {
  it("writes traceparent and tracestate as the spec and @opentelemetry/core do", () => {
    const ours = new Headers();
    const theirs = new Headers();
    w3cTraceContextPropagator.inject(withSpan, ours, headerSetter);
    new W3CTraceContextPropagator().inject(withSpan, theirs, headerSetter);
    expect(ours.get("traceparent")).toBe(`00-${traceId}-${spanId}-01`);
    expect(ours.get("tracestate")).toBe("vendor=a,other=b");
    expect([...ours]).toEqual([...theirs]);
  });

  it("reads what @opentelemetry/core writes, as a remote parent", () => {
    const header = new Headers();
    new W3CTraceContextPropagator().inject(withSpan, header, headerSetter);
    const read = trace.getSpanContext(w3cTraceContextPropagator.extract(ROOT_CONTEXT, header, headerGetter));
    expect(read).toMatchObject({ traceId, spanId, traceFlags: 1, isRemote: true });
    expect(read?.traceState?.get("vendor")).toBe("a");
  });

  it.each([
    ["a malformed header", "00-xyz"],
    ["version ff", `ff-${traceId}-${spanId}-01`],
    ["version 00 with extra fields", `00-${traceId}-${spanId}-01-extra`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${spanId}-01`],
    ["an all-zero span id", `00-${traceId}-${"0".repeat(16)}-01`],
  ])("ignores %s", (_, traceparent) => {
    const ctx = w3cTraceContextPropagator.extract(ROOT_CONTEXT, new Headers({ traceparent }), headerGetter);
    expect(trace.getSpanContext(ctx)).toBeUndefined();
  });

  it("accepts a later version with more fields", () => {
    const ctx = w3cTraceContextPropagator.extract(
      ROOT_CONTEXT,
      new Headers({ traceparent: `01-${traceId}-${spanId}-00-more` }),
      headerGetter,
    );
    expect(trace.getSpanContext(ctx)).toMatchObject({ traceId, spanId, traceFlags: 0 });
  });

  it("writes nothing without a valid span", () => {
    const header = new Headers();
    w3cTraceContextPropagator.inject(ROOT_CONTEXT, header, headerSetter);
    expect([...header]).toEqual([]);
  });
});

describe("currentPropagator", () => {
  afterEach(() => propagation.disable());

  it("is W3C Trace Context while no global propagator is registered", () => {
    expect(currentPropagator(undefined)).toBe(w3cTraceContextPropagator);
  });

  it("is the global propagator once one is registered, even after the interceptor was made", () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const propagator = currentPropagator(undefined);
    expect(propagator).not.toBe(w3cTraceContextPropagator);
    expect(propagator.fields()).toEqual(["traceparent", "tracestate"]);
  });

  it("is the configured one whatever is registered", () => {
    const configured = new W3CTraceContextPropagator();
    expect(currentPropagator(configured)).toBe(configured);
  });
});

describe("injectTraceContext and extractTraceContext", () => {
  it("swallow a propagator that throws", () => {
    const throwing = {
      inject: () => {
        throw new Error("inject failed");
      },
      extract: () => {
        throw new Error("extract failed");
      },
      fields: () => [],
    };
    expect(() => injectTraceContext(throwing, withSpan, new Headers())).not.toThrow();
    expect(extractTraceContext(throwing, ROOT_CONTEXT, new Headers())).toBe(ROOT_CONTEXT);
  });
});
