import type { ContextValues } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { assertSecureUrl } from "../interceptors/auth-interceptor.js";
import type { CallPolicy } from "./call-policy.js";
import { callTimeoutMs } from "./call-timeout.js";
import { CallRegistry, GrpcCall } from "./grpc-call.js";

/** What a call needs to know of its method to start: both runtimes' method wires have it. */
export interface CallMethod {
  /** "user.v1.UserService/GetUser". */
  readonly name: string;
  /** The deadline policy's default for the method, or undefined for none. */
  readonly defaultTimeoutMs: number | undefined;
}

/** A transport's calls, on either runtime: how they start, how many run, how the transport closes them. */
export interface TransportCalls {
  /**
   * A new call object with its deadline, or the reason the transport takes
   * no call: it was closed, or its token may not travel to `baseUrl`.
   */
  start(method: CallMethod, signal: AbortSignal | undefined, timeoutMs: number | undefined, contextValues: ContextValues): GrpcCall;
  /** Calls in flight right now. */
  active(): number;
  /** New calls fail at once; calls in flight get `graceMs` to finish, then are cancelled. */
  close(graceMs: number): Promise<void>;
}

/**
 * The call bookkeeping both our transports (gRPC on Node, gRPC-Web in
 * browsers) share: the registry of calls in flight, the closed state, and
 * the clear-text check for the token, made once per transport.
 */
export function createTransportCalls(policy: CallPolicy, baseUrl: string): TransportCalls {
  const calls = new CallRegistry();
  let closing: ConnectError | undefined;
  // The token never travels in clear text to a host that is not loopback; checked once.
  let authRefusal: ConnectError | undefined;
  if (policy.auth !== undefined && !policy.auth.allowInsecure) {
    try {
      assertSecureUrl(baseUrl, policy.auth.headerName);
    } catch (e) {
      authRefusal = ConnectError.from(e);
    }
  }
  return {
    start(method, signal, timeoutMs, contextValues) {
      if (closing !== undefined) throw closing;
      if (authRefusal !== undefined) throw authRefusal;
      const timeout = callTimeoutMs(policy, method.name, method.defaultTimeoutMs, timeoutMs, contextValues);
      return new GrpcCall(calls, policy.clock, method.name, timeout, signal);
    },
    active: () => calls.size,
    async close(graceMs) {
      closing ??= new ConnectError("transport is closed: close() was called, so it takes no new calls", Code.Canceled);
      await calls.idle(graceMs);
      calls.cancelAll(new ConnectError(`transport closed: the call did not finish within the ${graceMs} ms grace period`, Code.Canceled));
    },
  };
}
