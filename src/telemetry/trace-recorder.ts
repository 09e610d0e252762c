import {
  type Attributes,
  type Context,
  context,
  type Exception,
  type Link,
  type Span,
  type SpanAttributeValue,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  trace,
  TraceFlags,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

/** A finished span, as the recorder keeps it. Times are epoch milliseconds. */
export interface RecordedSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  /** The parent's span id; undefined for a root span. */
  readonly parentSpanId: string | undefined;
  /** Whether the parent lives in another process (it came in a `traceparent`). */
  readonly parentIsRemote: boolean;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Attributes;
  readonly events: readonly { readonly name: string; readonly attributes: Attributes }[];
  readonly status: SpanStatus;
}

/** An in-memory tracer provider and the spans it recorded. */
export interface TraceRecorder {
  /** Pass it as `tracerProvider` to the telemetry interceptors. */
  readonly tracerProvider: TracerProvider;
  /** The spans ended so far, in the order they ended. */
  spans(): readonly RecordedSpan[];
  /** Calls `listener` with each span as it ends. */
  onEnd(listener: (span: RecordedSpan) => void): void;
}

/**
 * Creates a tracer provider that samples every span and keeps the finished
 * ones in memory: what `userctl --trace` prints, with nothing but
 * @opentelemetry/api installed (the SDK is not a dependency of this package).
 */
export function createTraceRecorder(): TraceRecorder {
  const finished: RecordedSpan[] = [];
  const listeners: ((span: RecordedSpan) => void)[] = [];
  const record = (span: RecordedSpan) => {
    finished.push(span);
    for (const listener of listeners) listener(span);
  };
  const tracer = new RecordingTracer(record);
  return {
    tracerProvider: { getTracer: () => tracer },
    spans: () => finished,
    onEnd: (listener) => listeners.push(listener),
  };
}

class RecordingTracer implements Tracer {
  constructor(private readonly record: (span: RecordedSpan) => void) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    const parent = options.root === true ? undefined : trace.getSpanContext(ctx);
    const spanContext: SpanContext = {
      traceId: parent?.traceId ?? randomHex(16),
      spanId: randomHex(8),
      traceFlags: TraceFlags.SAMPLED,
      ...(parent?.traceState !== undefined && { traceState: parent.traceState }),
    };
    return new RecordingSpan(name, options, spanContext, parent, this.record);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
    const fn = args.pop() as F;
    const [options, ctx = context.active()] = args as [SpanOptions | undefined, Context | undefined];
    const span = this.startSpan(name, options, ctx);
    return context.with(trace.setSpan(ctx, span), () => fn(span)) as ReturnType<F>;
  }
}

class RecordingSpan implements Span {
  private readonly attributes: Attributes = {};
  private readonly events: { name: string; attributes: Attributes }[] = [];
  private status: SpanStatus = { code: SpanStatusCode.UNSET };
  private readonly startMs: number;
  private ended = false;

  constructor(
    private name: string,
    private readonly options: SpanOptions,
    private readonly context: SpanContext,
    private readonly parent: SpanContext | undefined,
    private readonly record: (span: RecordedSpan) => void,
  ) {
    this.startMs = toEpochMs(options.startTime) ?? nowMs();
    if (options.attributes) this.setAttributes(options.attributes);
  }

  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(key: string, value: SpanAttributeValue): this {
    if (!this.ended) this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) this.setAttribute(key, value);
    return this;
  }
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput): this {
    const attributes =
      typeof attributesOrTime === "object" && !Array.isArray(attributesOrTime) && !(attributesOrTime instanceof Date)
        ? attributesOrTime
        : {};
    if (!this.ended) this.events.push({ name, attributes });
    return this;
  }
  addLink(_link: Link): this {
    return this;
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    if (!this.ended) this.status = status;
    return this;
  }
  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(exception: Exception): void {
    const message = typeof exception === "string" ? exception : exception.message;
    this.addEvent("exception", message === undefined ? {} : { "exception.message": message });
  }
  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.ended = true;
    this.record({
      name: this.name,
      kind: this.options.kind ?? SpanKind.INTERNAL,
      traceId: this.context.traceId,
      spanId: this.context.spanId,
      parentSpanId: this.parent?.spanId,
      parentIsRemote: this.parent?.isRemote === true,
      startMs: this.startMs,
      endMs: toEpochMs(endTime) ?? nowMs(),
      attributes: this.attributes,
      events: this.events,
      status: this.status,
    });
  }
}

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function toEpochMs(time: TimeInput | undefined): number | undefined {
  if (time === undefined) return undefined;
  if (time instanceof Date) return time.getTime();
  if (Array.isArray(time)) return time[0] * 1000 + time[1] / 1e6;
  // OpenTelemetry takes a number below the time origin as a performance.now() reading.
  return time < performance.timeOrigin ? performance.timeOrigin + time : time;
}

function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
}
