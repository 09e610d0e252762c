import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { UserService } from "../../gen/user/v1/user_service_pb.js";

/** Options for {@link createFailFirstInterceptor}. */
export interface FailFirstOptions {
  /** How many calls of each method fail before calls go through. Defaults to 1. */
  calls?: number;
  /** The service (full name) whose methods fail. Defaults to "user.v1.UserService". */
  service?: string;
  /** Only these methods of the service fail (names, e.g. "ListUsers"). Defaults to all of them. */
  methods?: readonly string[];
}

/**
 * A server interceptor that fails the first `calls` calls of each method of
 * `service` with UNAVAILABLE ("injected failure 1 of 2 for GetUser"), as a
 * restarting or overloaded server would, then lets every call through: fault
 * injection for demos of retries (`userctl serve --fail-first N`). Calls of
 * other services, such as health checks, are never failed, so health stays
 * truthful. Counts are per method and last as long as the interceptor: once
 * a method has failed `calls` times, it always goes through.
 */
export function createFailFirstInterceptor(options: FailFirstOptions = {}): Interceptor {
  const calls = options.calls ?? 1;
  const service = options.service ?? UserService.typeName;
  if (!Number.isSafeInteger(calls) || calls < 0) {
    throw new ConnectError(`invalid option calls: must be an integer >= 0, got ${calls}`, Code.InvalidArgument);
  }
  const only = options.methods === undefined ? undefined : new Set(options.methods);
  const seen = new Map<string, number>();
  return (next) => async (req) => {
    const method = req.method.name;
    if (req.service.typeName !== service || (only !== undefined && !only.has(method))) return await next(req);
    const count = (seen.get(method) ?? 0) + 1;
    seen.set(method, count);
    if (count <= calls) {
      throw new ConnectError(`injected failure ${count} of ${calls} for ${method}`, Code.Unavailable);
    }
    return await next(req);
  };
}
