import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { timeoutMsKey } from "../interceptors/deadline-interceptor.js";
import type { CallPolicy } from "./call-policy.js";
import type { GrpcCall } from "./grpc-call.js";

/**
 * A call's timeout, computed once when it starts: the caller's own
 * (`timeoutMs`, `timeoutMsKey`), else the method's default, capped by the
 * ambient deadline. Undefined for none; throws DEADLINE_EXCEEDED when it has
 * already passed and INVALID_ARGUMENT for a bad `timeoutMsKey`.
 */
export function callTimeoutMs(
  policy: CallPolicy,
  name: string,
  defaultTimeoutMs: number | undefined,
  timeoutMs: number | undefined,
  contextValues: ContextValues,
): number | undefined {
  const fromKey = contextValues.get(timeoutMsKey);
  if (fromKey !== undefined && !(Number.isFinite(fromKey) && fromKey >= 0)) {
    throw new ConnectError(`invalid timeoutMsKey value ${String(fromKey)} for ${name}: must be a finite number >= 0`, Code.InvalidArgument);
  }
  // connect-es: a timeoutMs of 0 or less means none.
  const caller = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : undefined;
  let own = caller === undefined ? fromKey : fromKey === undefined ? caller : Math.min(caller, fromKey);
  own ??= defaultTimeoutMs;
  const ambientAt = policy.deadline?.ambientDeadline?.();
  if (ambientAt !== undefined && Number.isFinite(ambientAt)) {
    const left = ambientAt - Date.now();
    if (left <= 0) {
      throw new ConnectError(
        `deadline exceeded before calling ${name}: the ambient deadline passed ${Math.round(-left)} ms ago`,
        Code.DeadlineExceeded,
      );
    }
    own = own === undefined ? left : Math.min(own, left);
  }
  if (own !== undefined && own <= 0) {
    throw new ConnectError(`deadline exceeded after ${Math.round(own)} ms calling ${name}`, Code.DeadlineExceeded);
  }
  return own;
}

/** The error of a call whose deadline passed, naming the call and the attempt. */
export function deadlineError(call: GrpcCall, attempt: number, cause?: unknown): ConnectError {
  const which = attempt > 1 ? ` (attempt ${attempt})` : "";
  return new ConnectError(
    `deadline exceeded after ${Math.round(call.timeoutMs ?? 0)} ms calling ${call.name}${which}`,
    Code.DeadlineExceeded,
    undefined,
    undefined,
    cause,
  );
}
