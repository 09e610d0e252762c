import type { Interceptor } from "@connectrpc/connect";
import type { Io } from "./command.js";
import { formatSpanLine, formatTraceTree } from "./trace-tree.js";
import { UsageError } from "./usage-error.js";

/** The tracing of one `userctl --trace` run. */
export interface CliTracing {
  /** The telemetry interceptor for the CLI's transport. */
  readonly interceptor: Interceptor;
  /** Writes the trace tree of every call made so far to stderr. */
  print(): void;
}

/**
 * Sets up `--trace` for a client command: the telemetry interceptor, with an
 * in-memory tracer provider whose spans `print()` draws as trees. The
 * OpenTelemetry code is loaded here and only here, so userctl without
 * `--trace` never loads @opentelemetry/api.
 */
export async function startClientTracing(io: Io, usage: string): Promise<CliTracing> {
  const { telemetry, recorder } = await loadTelemetry(usage, "--trace");
  const traces = recorder.createTraceRecorder();
  return {
    interceptor: telemetry.createTelemetryInterceptor({ tracerProvider: traces.tracerProvider }),
    print() {
      for (const line of formatTraceTree(traces.spans())) io.err(line);
    },
  };
}

/**
 * Sets up `userctl serve --trace`: the server telemetry interceptor, printing
 * one line per server span to stderr as each call ends, with the trace id and
 * parent span id that match it to the client's tree.
 */
export async function startServerTracing(io: Io, usage: string): Promise<Interceptor> {
  const { telemetry, recorder } = await loadTelemetry(usage, "serve --trace");
  const traces = recorder.createTraceRecorder();
  traces.onEnd((span) => io.err(formatSpanLine(span)));
  return telemetry.createServerTelemetryInterceptor({ tracerProvider: traces.tracerProvider });
}

async function loadTelemetry(usage: string, flag: string) {
  try {
    const [telemetry, recorder] = await Promise.all([import("../telemetry/index.js"), import("../telemetry/trace-recorder.js")]);
    return { telemetry, recorder };
  } catch (e) {
    // @opentelemetry/api is an optional peer dependency: say how to get it.
    if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String(e).includes("@opentelemetry/api")) {
      throw new UsageError(`${flag} needs the optional peer dependency @opentelemetry/api: npm install @opentelemetry/api`, usage);
    }
    throw e;
  }
}
