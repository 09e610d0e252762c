import type { Interceptor, StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import type { Context, MeterProvider } from "@opentelemetry/api";
import { runInContext, safely } from "./safely.js";
import { resolveTelemetryOptions, type ResolvedTelemetryOptions, type TelemetryOptions } from "./telemetry-options.js";

/** The telemetry of one call in flight, client or server side. */
export interface TracedCall {
  /** The context of the call's span, active while the call runs. */
  readonly context: Context;
  /** The request to pass on (with counted messages, trace context, ...). */
  readonly request: UnaryRequest | StreamRequest;
  /** Counts the message of a unary response. */
  responded(message: unknown): void;
  /** Counts the messages of a response stream and ends the call when it ends. */
  watch(res: StreamResponse): StreamResponse;
  /** Ends the call (once): undefined on success, else what it failed with. */
  end(error: unknown): void;
}

/** Starts the telemetry of one call; instruments are undefined when the meter could not make them. */
export type StartTracedCall<I> = (
  config: ResolvedTelemetryOptions,
  instruments: I | undefined,
  req: UnaryRequest | StreamRequest,
) => TracedCall;

/**
 * The interceptor both telemetry interceptors are: per call it starts a
 * TracedCall, runs the rest of the call in its context and ends it with the
 * call's outcome. A call whose telemetry fails to start runs untraced.
 * Instruments are made at the first call, so that a global meter provider
 * registered after the interceptor was created still counts.
 */
export function createTracedCallInterceptor<I>(
  options: TelemetryOptions,
  createInstruments: (provider: MeterProvider) => I,
  start: StartTracedCall<I>,
): Interceptor {
  const config = resolveTelemetryOptions(options);
  let instruments: I | null | undefined;
  const currentInstruments = () => (instruments ??= safely("meter", () => createInstruments(config.meterProvider()), null)) ?? undefined;
  return (next) => async (req) => {
    const call = safely("span start", () => start(config, currentInstruments(), req), undefined);
    if (call === undefined) return await next(req);
    let res: UnaryResponse | StreamResponse;
    try {
      res = await runInContext(call.context, () => next(call.request));
    } catch (e) {
      call.end(e);
      throw e;
    }
    if (res.stream) return call.watch(res);
    call.responded(res.message);
    call.end(undefined);
    return res;
  };
}
