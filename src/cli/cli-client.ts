import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { createHealthClient, type HealthClient } from "../client/health-client.js";
import type { UserCallOptions, UserClient } from "../client/index.js";
import type { RetryEvent } from "../interceptors/retry-options.js";
import { createTransport, type NodeTransport } from "../node/index.js";
import { createUserClient } from "../users/node.js";
import type { TransportOptions } from "../transport/transport-options.js";
import type { Io } from "./command.js";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { GlobalFlags } from "./global-flags.js";
import { usage } from "./main-usage.js";
import { UsageError } from "./usage-error.js";

/** The clients a command calls through, built from the global flags. */
export interface CliClient {
  /** The transport of the global flags, for calls to any service (list, describe, call). */
  transport: NodeTransport;
  users: UserClient;
  health: HealthClient;
  /** Options for every call: the --timeout deadline, and a signal that close() aborts. */
  readonly callOptions: UserCallOptions & { signal: AbortSignal };
  /** Cancels calls still in flight. */
  close(): Promise<void>;
}

/**
 * Builds the transport exactly as a library user would, with createTransport
 * (so typed errors, deadlines, retries and auth all run), and the clients on
 * it. In human mode, each retry is announced on stderr. Client-side logging
 * stays off: stderr is for errors. `telemetry` is the `--trace` interceptor.
 */
export function createCliClient(globals: GlobalFlags, io: Io, telemetry?: Interceptor): CliClient {
  const transport = buildTransport(globals, io, telemetry);
  const users = createUserClient(transport);
  const lifetime = new AbortController();
  const health = createHealthClient(transport);
  return {
    transport,
    users,
    health,
    callOptions: {
      signal: lifetime.signal,
      ...(globals.timeoutMs !== undefined && { timeoutMs: globals.timeoutMs }),
    },
    async close() {
      lifetime.abort();
      await users.close();
      // Frees the connections at once: a finished command should not wait on idle sockets.
      await transport.close({ graceMs: 0 });
    },
  };
}

/** The line userctl prints before a retry: `retrying GetUser (attempt 2/4) after unavailable in 180 ms`. */
export function formatRetry(event: RetryEvent): string {
  return `retrying ${event.method.name} (attempt ${event.attempt}/${event.maxAttempts}) after ${codeToString(event.error.code)} in ${Math.round(event.delayMs)} ms`;
}

function buildTransport(globals: GlobalFlags, io: Io, telemetry: Interceptor | undefined): NodeTransport {
  const options: TransportOptions = {
    baseUrl: globals.url,
    ...(telemetry !== undefined && { telemetry }),
    protocol: globals.protocol,
    ...(globals.token !== undefined && { auth: globals.token }),
    retry: {
      ...(globals.maxAttempts !== undefined && { maxAttempts: globals.maxAttempts }),
      ...(!globals.json && { onRetry: (event: RetryEvent) => io.err(formatRetry(event)) }),
    },
    ...(globals.headers.length > 0 && { headers: globals.headers }),
    ...(globals.connectTimeoutMs !== undefined && { connectTimeoutMs: globals.connectTimeoutMs }),
    ...globals.tls,
  };
  try {
    return createTransport(options);
  } catch (e) {
    // createTransport rejects bad options at once; here they came from flags.
    throw new UsageError(ConnectError.from(e).rawMessage, usage);
  }
}
