import { Code } from "@connectrpc/connect";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { createTraceRecorder, type RecordedSpan } from "../../src/telemetry/trace-recorder.js";
import { setup } from "./telemetry-test-kit.js";

describe("createTraceRecorder", () => {
  it("records spans with their parents, attributes, events and status when they end", () => {
    const recorder = createTraceRecorder();
    const ended: RecordedSpan[] = [];
    recorder.onEnd((span) => ended.push(span));
    const tracer = recorder.tracerProvider.getTracer("test");
    const parent = tracer.startSpan("parent", { kind: SpanKind.CLIENT, attributes: { a: 1 } });
    const child = tracer.startSpan("child", {}, trace.setSpan(ROOT_CONTEXT, parent));
    child.addEvent("something", { b: "x" });
    child.setStatus({ code: SpanStatusCode.ERROR, message: "failed" });
    child.end();
    parent.end();
    parent.setAttribute("late", true); // ignored: the span has ended
    expect(recorder.spans()).toEqual(ended);
    const [c, p] = ended;
    expect(c).toMatchObject({
      name: "child",
      kind: SpanKind.INTERNAL,
      traceId: p?.traceId,
      parentSpanId: p?.spanId,
      parentIsRemote: false,
      events: [{ name: "something", attributes: { b: "x" } }],
      status: { code: SpanStatusCode.ERROR, message: "failed" },
    });
    expect(p).toMatchObject({ name: "parent", kind: SpanKind.CLIENT, parentSpanId: undefined, attributes: { a: 1 } });
    expect(p?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(p!.endMs).toBeGreaterThanOrEqual(p!.startMs);
  });

  it("continues a remote parent", () => {
    const recorder = createTraceRecorder();
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: 1,
      isRemote: true,
    });
    recorder.tracerProvider.getTracer("test").startActiveSpan("server", {}, remote, (span) => span.end());
    expect(recorder.spans()[0]).toMatchObject({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      parentSpanId: "00f067aa0ba902b7",
      parentIsRemote: true,
    });
  });

  it("serves as the tracer provider of the telemetry interceptor", async () => {
    const recorder = createTraceRecorder();
    const { client, clock } = setup({
      failures: [Code.Unavailable],
      telemetry: { tracerProvider: recorder.tracerProvider },
    });
    await clock.run(client.getUser({ userId: "u-1" }));
    expect(recorder.spans().map((s) => s.name)).toEqual([
      "user.v1.UserService/GetUser attempt",
      "user.v1.UserService/GetUser attempt",
      "user.v1.UserService/GetUser",
    ]);
  });
});
