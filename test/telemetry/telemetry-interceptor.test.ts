import { Code, createContextValues } from "@connectrpc/connect";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { SpanProcessor } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";
import { attemptCountKey } from "../../src/interceptors/attempt-count.js";
import { attemptObserverKey } from "../../src/interceptors/attempt-observer.js";
import { createTelemetryInterceptor } from "../../src/telemetry/index.js";
import { drain } from "../interceptors/retry-test-kit.js";
import { ada, setup, shape, spanTrees, type TestTelemetry, traceparentOf } from "./telemetry-test-kit.js";

function only<T>(items: readonly T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0]!;
}

const callSpanOf = (otel: TestTelemetry) => only(spanTrees(otel.spans()), "root spans").span;
const attemptsOf = (otel: TestTelemetry) =>
  spanTrees(otel.spans())[0]!
    .children.map((c) => c.span)
    .filter((s) => s.name.endsWith(" attempt"));

describe("the call span", () => {
  it("describes a call that succeeds with the RPC conventions' attributes", async () => {
    const { otel, client } = setup();
    await client.getUser({ userId: ada.id });
    const span = callSpanOf(otel);
    expect(span.name).toBe("user.v1.UserService/GetUser");
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      "rpc.system": "connect_rpc", // the router transport speaks the Connect protocol
      "rpc.service": "user.v1.UserService",
      "rpc.method": "GetUser",
      "server.address": "in-memory",
      "server.port": 443,
      "rpc.messages_sent": 1,
      "rpc.messages_received": 1,
    });
    expect(span.events).toEqual([]);
  });

  it("marks a call that fails as an error, with the error code and an exception event", async () => {
    const { otel, client } = setup();
    await expect(client.getUser({ userId: "u-404" })).rejects.toThrow("user u-404 not found");
    const span = callSpanOf(otel);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "user u-404 not found" });
    expect(span.attributes["rpc.connect_rpc.error_code"]).toBe("not_found");
    expect(span.attributes["rpc.messages_received"]).toBe(0);
    expect(span.events.map((e) => [e.name, e.attributes?.["exception.message"]])).toEqual([
      ["exception", "[not_found] user u-404 not found"],
    ]);
  });

  it("is a child of the span active when the call starts", async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const { otel, client } = setup();
      const parent = otel.tracerProvider.getTracer("app").startSpan("handle request");
      await context.with(trace.setSpan(context.active(), parent), () => client.getUser({ userId: ada.id }));
      parent.end();
      const [root] = spanTrees(otel.spans());
      expect(root && shape(root)).toEqual({
        name: "handle request",
        children: [{ name: "user.v1.UserService/GetUser", children: [{ name: "user.v1.UserService/GetUser attempt", children: [] }] }],
      });
    } finally {
      context.disable();
    }
  });
});

describe("attempt spans", () => {
  it("are made for every attempt inside the retry interceptor, the first one too", async () => {
    const { otel, client, traceparents } = setup();
    await client.getUser({ userId: ada.id });
    const attempt = only(attemptsOf(otel), "attempts");
    expect(attempt.kind).toBe(SpanKind.INTERNAL);
    expect(attempt.attributes).toEqual({
      "rpc.attempt.number": 1,
      "rpc.attempt.delay_ms": 0,
      "rpc.attempt.transparent": false,
    });
    // The server sees the attempt as its parent.
    expect(traceparents).toEqual([traceparentOf(attempt)]);
  });

  it("show a call that succeeds on its third attempt, with each attempt's status and backoff", async () => {
    const { otel, client, clock, traceparents } = setup({ failures: [Code.Unavailable, Code.Unavailable] });
    await clock.run(client.getUser({ userId: ada.id }));
    const call = callSpanOf(otel);
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    const attempts = attemptsOf(otel);
    expect(
      attempts.map((a) => [
        a.attributes["rpc.attempt.number"],
        a.attributes["rpc.attempt.delay_ms"],
        a.attributes["rpc.connect_rpc.error_code"] ?? "ok",
        a.status.code,
      ]),
    ).toEqual([
      [1, 0, "unavailable", SpanStatusCode.ERROR],
      [2, 50, "unavailable", SpanStatusCode.ERROR], // random 0.5 × initialBackoffMs 100
      [3, 100, "ok", SpanStatusCode.UNSET], // × backoffMultiplier 2
    ]);
    expect(attempts.every((a) => a.parentSpanContext?.spanId === call.spanContext().spanId)).toBe(true);
    expect(traceparents).toEqual(attempts.map(traceparentOf));
  });

  it("end with the error of a call that runs out of attempts", async () => {
    const { otel, client, clock } = setup({ failures: [Code.Unavailable, Code.Unavailable], retry: { maxAttempts: 2 } });
    await expect(clock.run(client.getUser({ userId: ada.id }))).rejects.toThrow("fault: u-1 failed");
    expect(callSpanOf(otel).attributes["rpc.connect_rpc.error_code"]).toBe("unavailable");
    expect(attemptsOf(otel).map((a) => a.status.message)).toEqual(["fault: u-1 failed", "fault: u-1 failed"]);
  });

  it("are not made without a retry interceptor: the call span itself goes in traceparent", async () => {
    const { otel, client, traceparents } = setup({ retry: false });
    await client.getUser({ userId: ada.id });
    const call = callSpanOf(otel);
    expect(attemptsOf(otel)).toEqual([]);
    expect(traceparents).toEqual([traceparentOf(call)]);
  });

  it("record a retry the throttle refused as an event on the call span", async () => {
    // maxTokens 2: the first failure leaves 1 token, not more than half, so no retry.
    const { otel, client } = setup({ failures: [Code.Unavailable], retry: { maxTokens: 2 } });
    await expect(client.getUser({ userId: ada.id })).rejects.toThrow("fault");
    const events = callSpanOf(otel).events.filter((e) => e.name === "retry throttled");
    expect(events.map((e) => e.attributes)).toEqual([{ "rpc.attempt.number": 1, "rpc.connect_rpc.error_code": "unavailable" }]);
  });
});

describe("streaming calls", () => {
  it("count the messages of a server stream and end when it does", async () => {
    const { otel, client } = setup();
    const { messages } = await drain(client.watchUsers({}));
    expect(messages).toHaveLength(3);
    const span = callSpanOf(otel);
    expect(span.attributes).toMatchObject({ "rpc.method": "WatchUsers", "rpc.messages_sent": 1, "rpc.messages_received": 3 });
    // The retry interceptor runs server streams: one attempt, ended with the stream.
    expect(only(attemptsOf(otel), "attempts").attributes["rpc.attempt.number"]).toBe(1);
  });

  it("count a client stream's messages", async () => {
    const { otel, client } = setup();
    const res = await client.bulkCreateUsers(
      (async function* () {
        for (let i = 0; i < 4; i++) yield { email: `u${i}@example.com`, name: `U${i}` };
      })(),
    );
    expect(res.createdCount).toBe(4);
    expect(callSpanOf(otel).attributes).toMatchObject({ "rpc.messages_sent": 4, "rpc.messages_received": 1 });
    expect(attemptsOf(otel)).toEqual([]); // never retried: no attempts to show
  });

  it("count both directions of a bidi stream", async () => {
    const { otel, client } = setup();
    const { messages } = await drain(
      client.syncUsers(
        (async function* () {
          yield { user: ada };
          yield { user: ada };
        })(),
      ),
    );
    expect(messages).toHaveLength(2);
    expect(callSpanOf(otel).attributes).toMatchObject({ "rpc.messages_sent": 2, "rpc.messages_received": 2 });
  });

  it("end with canceled, the attempt too, when the caller stops reading and aborts", async () => {
    const { otel, client } = setup();
    const abort = new AbortController();
    for await (const _ of client.watchUsers({}, { signal: abort.signal })) break;
    abort.abort();
    expect(callSpanOf(otel).attributes).toMatchObject({ "rpc.connect_rpc.error_code": "cancelled", "rpc.messages_received": 1 });
    expect(only(attemptsOf(otel), "attempts").attributes["rpc.connect_rpc.error_code"]).toBe("cancelled");
  });
});

describe("propagation", () => {
  afterEach(() => propagation.disable());

  it("uses W3C Trace Context when no global propagator is registered", async () => {
    const { otel, client, traceparents } = setup({ retry: false });
    await client.getUser({ userId: ada.id });
    expect(traceparents[0]).toBe(traceparentOf(callSpanOf(otel)));
  });

  it("uses the global propagator when one is registered", async () => {
    const injected: string[] = [];
    propagation.setGlobalPropagator({
      inject: (_ctx, carrier, setter) => {
        injected.push("x-custom");
        setter.set(carrier, "x-custom-trace", "1");
      },
      extract: (ctx) => ctx,
      fields: () => ["x-custom-trace"],
    });
    const { client, traceparents } = setup({ retry: false });
    await client.getUser({ userId: ada.id });
    expect(injected).toEqual(["x-custom"]);
    expect(traceparents).toEqual([null]);
  });

  it("uses the propagator given in the options", async () => {
    const { otel, client, traceparents } = setup({ retry: false, telemetry: { propagator: new W3CTraceContextPropagator() } });
    await client.getUser({ userId: ada.id });
    expect(traceparents[0]).toBe(traceparentOf(callSpanOf(otel)));
  });
});

describe("the attempt observer", () => {
  it("stays out of the ContextValues the caller passed, which may serve other calls", async () => {
    const { client } = setup();
    const contextValues = createContextValues();
    await client.getUser({ userId: ada.id }, { contextValues });
    expect(contextValues.get(attemptObserverKey)).toBeUndefined();
    // ...while what the retry interceptor writes still reaches the caller's values.
    expect(contextValues.get(attemptCountKey)).toBe(1);
  });
});

describe("a failing telemetry pipeline", () => {
  const throwing: SpanProcessor = {
    onStart: () => {
      throw new Error("processor onStart failed");
    },
    onEnd: () => {
      throw new Error("processor onEnd failed");
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };

  it("never breaks a call: a span processor that throws on start and end", async () => {
    const { client, clock } = setup({ processors: [throwing], failures: [Code.Unavailable] });
    const res = await clock.run(client.getUser({ userId: ada.id }));
    expect(res.user?.name).toBe("Ada");
    await expect(client.getUser({ userId: "u-404" })).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("never breaks a call: an exporter that throws, synchronously or by rejecting", async () => {
    const exporter = {
      export: () => {
        throw new Error("exporter failed");
      },
      shutdown: () => Promise.reject(new Error("shutdown failed")),
    };
    const { SimpleSpanProcessor } = await import("@opentelemetry/sdk-trace");
    const { client, clock } = setup({ processors: [new SimpleSpanProcessor({ exporter })], failures: [Code.Unavailable] });
    const res = await clock.run(client.getUser({ userId: ada.id }));
    expect(res.user?.name).toBe("Ada");
    const { messages } = await drain(client.watchUsers({}));
    expect(messages).toHaveLength(3);
  });

  it("never breaks a call: a tracer provider, meter provider and propagator that all throw", async () => {
    const fail = () => {
      throw new Error("telemetry failed");
    };
    const otel = { tracerProvider: { getTracer: () => ({ startSpan: fail, startActiveSpan: fail }) }, meterProvider: { getMeter: fail } };
    const { client, clock, traceparents } = setup({
      failures: [Code.Unavailable],
      telemetry: { ...otel, propagator: { inject: fail, extract: fail, fields: () => ["traceparent"] } },
    });
    const res = await clock.run(client.getUser({ userId: ada.id }));
    expect(res.user?.name).toBe("Ada");
    expect(traceparents).toEqual([null, null]);
  });

  it("never breaks a call: metric instruments that throw", async () => {
    const fail = () => {
      throw new Error("record failed");
    };
    const instrument = { record: fail, add: fail };
    const meter = { createHistogram: () => instrument, createCounter: () => instrument };
    const { client, clock } = setup({ failures: [Code.Unavailable], telemetry: { meterProvider: { getMeter: () => meter as never } } });
    const res = await clock.run(client.getUser({ userId: ada.id }));
    expect(res.user?.name).toBe("Ada");
  });
});

describe("createTelemetryInterceptor", () => {
  it("rejects options that are not OpenTelemetry providers, naming the option", () => {
    expect(() => createTelemetryInterceptor({ tracerProvider: {} as never })).toThrow(
      "invalid telemetry option tracerProvider: must be an OpenTelemetry TracerProvider (with getTracer)",
    );
    expect(() => createTelemetryInterceptor({ meterProvider: 42 as never })).toThrow("invalid telemetry option meterProvider");
    expect(() => createTelemetryInterceptor({ propagator: { inject() {} } as never })).toThrow("invalid telemetry option propagator");
  });
});
