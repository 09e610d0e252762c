import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import type { Attributes } from "@opentelemetry/api";
import { type DataPoint, DataPointType, type Histogram, MeterProvider, type MetricData, MetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, type SpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

import { UserSchema, UserService } from "../../gen/user/v1/user_service_pb.js";
import { createRetryInterceptor } from "../../src/interceptors/retry-interceptor.js";
import type { RetryOptions } from "../../src/interceptors/retry-options.js";
import { createTelemetryInterceptor } from "../../src/telemetry/index.js";
import type { TelemetryOptions } from "../../src/telemetry/telemetry-options.js";
import { FakeClock } from "../interceptors/retry-test-kit.js";

/** A metric reader that collects on demand. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** One data point of a metric: its attributes and its value (a number, or a histogram's count and sum). */
export interface Point {
  attributes: Attributes;
  value: number;
  count?: number;
  sum?: number;
}

/** The OpenTelemetry SDK with in-memory exporters, as an application would wire it. */
export interface TestTelemetry {
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  /** Finished spans, in the order they ended. */
  spans(): ReadableSpan[];
  /** The data points of metric `name`, collected now (empty when it has none). */
  points(name: string): Promise<Point[]>;
  /** Every metric collected now, by name. */
  metrics(): Promise<Map<string, MetricData>>;
}

/** Sets up tracer and meter providers with in-memory exporters; `processors` run before the exporting one. */
export function createTestTelemetry(processors: SpanProcessor[] = []): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [...processors, new SimpleSpanProcessor({ exporter })] });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const metrics = async () => {
    const { resourceMetrics } = await reader.collect();
    const byName = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) byName.set(m.descriptor.name, m);
    return byName;
  };
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    metrics,
    async points(name) {
      const metric = (await metrics()).get(name);
      if (metric === undefined) return [];
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        return metric.dataPoints.map((p: DataPoint<Histogram>) => ({
          attributes: p.attributes,
          value: p.value.sum ?? 0,
          count: p.value.count,
          sum: p.value.sum ?? 0,
        }));
      }
      return (metric.dataPoints as DataPoint<number>[]).map((p) => ({ attributes: p.attributes, value: p.value }));
    },
  };
}

/** A span and the spans below it, for asserting trees. */
export interface SpanNode {
  span: ReadableSpan;
  children: SpanNode[];
}

/** The finished spans as trees (roots: spans whose parent did not end here), children by start time. */
export function spanTrees(spans: readonly ReadableSpan[]): SpanNode[] {
  const nodes = new Map(spans.map((span) => [span.spanContext().spanId, { span, children: [] as SpanNode[] }]));
  const roots: SpanNode[] = [];
  const byStart = [...nodes.values()].sort((a, b) => compareTime(a.span.startTime, b.span.startTime));
  for (const node of byStart) {
    const parent = node.span.parentSpanContext?.spanId;
    const parentNode = parent === undefined ? undefined : nodes.get(parent);
    if (parentNode) parentNode.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** `{ name, children }` only: a tree to compare with toEqual. */
export function shape(node: SpanNode): { name: string; children: unknown[] } {
  return { name: node.span.name, children: node.children.map(shape) };
}

function compareTime(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** The `traceparent` a span sends: version 00, its trace and span id, sampled. */
export function traceparentOf(span: ReadableSpan): string {
  const { traceId, spanId } = span.spanContext();
  return `00-${traceId}-${spanId}-01`;
}

export const ada = create(UserSchema, { id: "u-1", email: "ada@example.com", name: "Ada" });

/**
 * A UserService over an in-memory router with `[telemetry, retry]`, as one
 * would install them by hand on any Connect transport. GetUser fails with
 * the codes in `failures`, one per attempt, then answers; every attempt's
 * `traceparent` is kept.
 */
export function setup(
  options: { failures?: Code[]; retry?: RetryOptions | false; telemetry?: TelemetryOptions; processors?: SpanProcessor[] } = {},
) {
  const otel = createTestTelemetry(options.processors);
  const failures = [...(options.failures ?? [])];
  const traceparents: (string | null)[] = [];
  const clock = new FakeClock();
  const telemetry = createTelemetryInterceptor({
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    ...options.telemetry,
  });
  const interceptors: Interceptor[] = [telemetry];
  if (options.retry !== false) {
    interceptors.push(createRetryInterceptor({ clock, random: () => 0.5, initialBackoffMs: 100, ...options.retry }));
  }
  const transport = createRouterTransport(
    ({ service }) =>
      service(UserService, {
        getUser(req, ctx) {
          traceparents.push(ctx.requestHeader.get("traceparent"));
          const code = failures.shift();
          if (code !== undefined) throw new ConnectError(`fault: ${req.userId} failed`, code);
          if (req.userId !== ada.id) throw new ConnectError(`user ${req.userId} not found`, Code.NotFound);
          return { user: ada };
        },
        async *watchUsers() {
          for (let i = 1; i <= 3; i++) yield { sequence: BigInt(i), user: ada };
        },
        async bulkCreateUsers(requests) {
          let createdCount = 0;
          for await (const _ of requests) createdCount++;
          return { createdCount };
        },
        async *syncUsers(requests) {
          let index = 0n;
          for await (const r of requests) yield { index: index++, ...(r.user && { user: r.user }) };
        },
      }),
    { transport: { interceptors } },
  );
  return { otel, client: createClient(UserService, transport), clock, traceparents };
}
