import { type Context, context, diag } from "@opentelemetry/api";

/**
 * Runs `fn` and returns its result, or `fallback` when it throws. Telemetry
 * is best effort: a throwing span processor, exporter, meter or propagator
 * must never fail, delay or change a call. What it threw goes to
 * OpenTelemetry's diagnostic logger (`diag.setLogger`), where the SDK sends
 * its own errors.
 */
export function safely<T>(what: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (e) {
    try {
      diag.error(`userctl-rpc telemetry: ${what} failed`, e);
    } catch {
      // A throwing diagnostic logger is the one error we cannot report.
    }
    return fallback;
  }
}

/**
 * Calls `fn` with `ctx` as the active context, so code it runs (other
 * interceptors, a server handler and the calls it makes) sees the span. When
 * the context manager fails before `fn` started, `fn` runs without it.
 */
export function runInContext<T>(ctx: Context, fn: () => T): T {
  let started = false;
  try {
    return context.with(ctx, () => {
      started = true;
      return fn();
    });
  } catch (e) {
    if (started) throw e;
    return fn();
  }
}
