import { type Counter, createNoopMeter, type Histogram, type Meter, type MeterProvider, ValueType } from "@opentelemetry/api";

/** The instrumentation scope of every instrument and span of this package. */
export const instrumentationScope = "userctl-rpc";

// Bucket boundaries of gRFC A66's default views.
const latencyBuckets = [
  0, 0.00001, 0.00005, 0.0001, 0.0003, 0.0006, 0.0008, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.013, 0.016, 0.02, 0.025,
  0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65, 0.8, 1, 2, 5, 10, 20, 50, 100,
];
const sizeBuckets = [0, 1024, 2048, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296];
const countBuckets = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

/** The client instruments; names and units from OpenTelemetry's RPC conventions and gRFCs A66 and A96. */
export interface ClientInstruments {
  /** Whether a real meter records: message sizes cost a serialization each, so they are measured only then. */
  readonly recording: boolean;
  /** rpc.client.call.duration (s): each call as the caller saw it, all attempts and backoff included. */
  readonly callDuration: Histogram;
  /** grpc.client.call.duration (s, A66): the same, with A66's labels. */
  readonly grpcCallDuration: Histogram;
  /** grpc.client.attempt.started ({attempt}, A66). */
  readonly attemptStarted: Counter;
  /** grpc.client.attempt.duration (s, A66). */
  readonly attemptDuration: Histogram;
  /** grpc.client.call.retries ({retry}, A96): retries per call, transparent ones excluded. */
  readonly retries: Histogram;
  /** grpc.client.call.transparent_retries ({transparent_retry}, A96). */
  readonly transparentRetries: Histogram;
  /** grpc.client.call.retry_delay (s, A96): time spent waiting between attempts. */
  readonly retryDelay: Histogram;
  /** grpc.client.call.throttled_retries ({retry}): retries the gRFC A6 throttle refused. */
  readonly throttledRetries: Counter;
  /** rpc.client.request.size (By): each request message, uncompressed. */
  readonly requestSize: Histogram;
  /** rpc.client.response.size (By): each response message, uncompressed. */
  readonly responseSize: Histogram;
}

/** The server instruments, as the client's. */
export interface ServerInstruments {
  readonly recording: boolean;
  /** rpc.server.call.duration (s). */
  readonly callDuration: Histogram;
  /** grpc.server.call.started ({call}, A66). */
  readonly grpcCallStarted: Counter;
  /** grpc.server.call.duration (s, A66). */
  readonly grpcCallDuration: Histogram;
  /** rpc.server.request.size (By). */
  readonly requestSize: Histogram;
  /** rpc.server.response.size (By). */
  readonly responseSize: Histogram;
}

/** Creates the client instruments on `provider`'s meter for this package. */
export function createClientInstruments(provider: MeterProvider): ClientInstruments {
  const meter = provider.getMeter(instrumentationScope);
  const seconds = (name: string, description: string) => histogram(meter, name, description, "s", latencyBuckets);
  const counts = (name: string, description: string, unit: string) =>
    histogram(meter, name, description, unit, countBuckets, ValueType.INT);
  const bytes = (name: string, description: string) => histogram(meter, name, description, "By", sizeBuckets, ValueType.INT);
  return {
    recording: isRecording(meter),
    callDuration: seconds("rpc.client.call.duration", "Duration of outgoing RPCs, all attempts and backoff included."),
    grpcCallDuration: seconds("grpc.client.call.duration", "Time from the start of a call to its status (gRFC A66)."),
    attemptStarted: meter.createCounter("grpc.client.attempt.started", {
      description: "RPC attempts started (gRFC A66).",
      unit: "{attempt}",
      valueType: ValueType.INT,
    }),
    attemptDuration: seconds("grpc.client.attempt.duration", "Time from the start of an attempt to its status (gRFC A66)."),
    retries: counts("grpc.client.call.retries", "Retries per call, transparent retries excluded (gRFC A96).", "{retry}"),
    transparentRetries: counts("grpc.client.call.transparent_retries", "Transparent retries per call (gRFC A96).", "{transparent_retry}"),
    retryDelay: seconds("grpc.client.call.retry_delay", "Time per call without an active attempt (gRFC A96)."),
    throttledRetries: meter.createCounter("grpc.client.call.throttled_retries", {
      description: "Retries the retry throttle (gRFC A6) refused.",
      unit: "{retry}",
      valueType: ValueType.INT,
    }),
    requestSize: bytes("rpc.client.request.size", "Size of each request message, uncompressed protobuf."),
    responseSize: bytes("rpc.client.response.size", "Size of each response message, uncompressed protobuf."),
  };
}

/** Creates the server instruments on `provider`'s meter for this package. */
export function createServerInstruments(provider: MeterProvider): ServerInstruments {
  const meter = provider.getMeter(instrumentationScope);
  const seconds = (name: string, description: string) => histogram(meter, name, description, "s", latencyBuckets);
  const bytes = (name: string, description: string) => histogram(meter, name, description, "By", sizeBuckets, ValueType.INT);
  return {
    recording: isRecording(meter),
    callDuration: seconds("rpc.server.call.duration", "Duration of incoming RPCs."),
    grpcCallStarted: meter.createCounter("grpc.server.call.started", {
      description: "Calls started (gRFC A66).",
      unit: "{call}",
      valueType: ValueType.INT,
    }),
    grpcCallDuration: seconds("grpc.server.call.duration", "Time from the start of a call to its status (gRFC A66)."),
    requestSize: bytes("rpc.server.request.size", "Size of each request message, uncompressed protobuf."),
    responseSize: bytes("rpc.server.response.size", "Size of each response message, uncompressed protobuf."),
  };
}

function histogram(
  meter: Meter,
  name: string,
  description: string,
  unit: string,
  buckets: number[],
  valueType = ValueType.DOUBLE,
): Histogram {
  return meter.createHistogram(name, { description, unit, valueType, advice: { explicitBucketBoundaries: buckets } });
}

/** Whether `meter` records: the API hands out its no-op meter when no SDK is registered. */
function isRecording(meter: Meter): boolean {
  return !(meter instanceof createNoopMeter().constructor);
}
