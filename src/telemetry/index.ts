/**
 * The OpenTelemetry entry ("userctl-rpc/telemetry"): the only part of the
 * package that imports @opentelemetry/api (an optional peer dependency), so
 * applications without it never load it. Web-safe: no Node built-ins.
 */
export { createTelemetryInterceptor } from "./telemetry-interceptor.js";
export { createServerTelemetryInterceptor } from "./server-telemetry-interceptor.js";
export type { TelemetryOptions } from "./telemetry-options.js";
export { w3cTraceContextPropagator } from "./w3c-trace-context.js";
