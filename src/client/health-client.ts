import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { backoffDelayMs, sleep, systemClock } from "../interceptors/backoff.js";
import { toTypedError } from "../errors/to-typed-error.js";

export { ServingStatus };

/** Options for {@link HealthClient.watch}. */
export interface HealthWatchOptions {
  /** Ends the watch (the iteration then finishes without an error). */
  signal?: AbortSignal;
  /** First pause before reopening a broken stream; doubles up to `maxBackoffMs` (full jitter). Defaults to 200 ms. */
  initialBackoffMs?: number;
  /** Longest pause between reopenings. Defaults to 10 s. */
  maxBackoffMs?: number;
}

/** A grpc.health.v1.Health client (GRPC health checking protocol, gRFC A17/A90). */
export interface HealthClient {
  /** The status of `service` ("" for the whole server). Throws NotFoundError for a service the server does not know. */
  check(service?: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<ServingStatus>;
  /**
   * Every status change of `service`. A broken stream is reopened with
   * backoff, meanwhile the status reads UNKNOWN once; UNIMPLEMENTED (a server
   * without the health service) ends the iteration with UnimplementedError.
   */
  watch(service?: string, options?: HealthWatchOptions): AsyncIterable<ServingStatus>;
  /**
   * Resolves once `service` is SERVING; rejects with DeadlineExceededError
   * after `timeoutMs`, or CanceledError when `signal` aborts.
   */
  waitForReady(options?: { service?: string; timeoutMs?: number; signal?: AbortSignal }): Promise<void>;
}

/** Creates a health client on any transport (ours, or any Connect transport). */
export function createHealthClient(transport: Transport): HealthClient {
  const health = createClient(Health, transport);

  async function* watch(service = "", options: HealthWatchOptions = {}): AsyncGenerator<ServingStatus> {
    const policy = {
      initialBackoffMs: options.initialBackoffMs ?? 200,
      maxBackoffMs: options.maxBackoffMs ?? 10_000,
      backoffMultiplier: 2,
    };
    // connect-es streams ignore return(): leaving the loop must abort the open stream.
    const own = new AbortController();
    const stop = options.signal ? AbortSignal.any([options.signal, own.signal]) : own.signal;
    let failures = 0;
    let last: ServingStatus | undefined;
    try {
      while (!stop.aborted) {
        try {
          for await (const response of health.watch({ service }, { signal: stop })) {
            failures = 0;
            if (response.status !== last) yield (last = response.status);
          }
        } catch (e) {
          if (stop.aborted) return;
          const error = ConnectError.from(e);
          if (error.code === Code.Unimplemented) throw toTypedError(error);
        }
        // The stream ended or broke: the status is unknown until it is back.
        if (last !== ServingStatus.UNKNOWN) yield (last = ServingStatus.UNKNOWN);
        failures++;
        await sleep(backoffDelayMs(failures, policy, Math.random), stop, systemClock).catch(() => {});
      }
    } finally {
      own.abort();
    }
  }

  return {
    async check(service = "", options = {}) {
      try {
        return (await health.check({ service }, options)).status;
      } catch (e) {
        throw toTypedError(e);
      }
    },
    watch,
    async waitForReady(options = {}) {
      const service = options.service ?? "";
      const signals = [options.signal, options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs)];
      const signal = AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
      // Leaving the loop ends the watch's stream (its own finally aborts it).
      for await (const status of watch(service, { signal })) {
        if (status === ServingStatus.SERVING) return;
      }
      if (options.signal?.aborted)
        throw toTypedError(new ConnectError(`waiting for ${describe(service)} to be SERVING was cancelled`, Code.Canceled));
      throw toTypedError(new ConnectError(`${describe(service)} was not SERVING within ${options.timeoutMs} ms`, Code.DeadlineExceeded));
    },
  };
}

function describe(service: string): string {
  return service === "" ? "the server" : `service ${JSON.stringify(service)}`;
}
