import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type StreamResponse, type Transport } from "@connectrpc/connect";
import { isUnprocessedError } from "../interceptors/unprocessed-error.js";
import { toTypedError, type ToTypedErrorOptions } from "../errors/to-typed-error.js";

/**
 * Wraps a transport so that every error a call ends with is a typed error
 * (NotFoundError, DeadlineExceededError, ...), for unary calls and while
 * reading a response stream.
 *
 * The typed-error interceptor alone is not enough: when the call's signal has
 * aborted (its `timeoutMs` passed, or the caller cancelled), connect-es
 * replaces whatever the interceptors threw with a plain ConnectError made from
 * the signal's reason, outside every interceptor
 * (@connectrpc/connect protocol/run-call.js, `setupSignal`).
 */
export function createTypedErrorTransport(transport: Transport, options: ToTypedErrorOptions = {}): Transport {
  const typedFor =
    (method: DescMethod, timeoutMs: number | undefined) =>
    (e: unknown): never => {
      throw toTypedError(namedDeadline(unprocessedAsUnavailable(e), method, timeoutMs), options);
    };
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.unary(method, signal, timeoutMs, header, input, contextValues).catch(typedFor(method, timeoutMs)),
    stream: async (method, signal, timeoutMs, header, input, contextValues) => {
      const typed = typedFor(method, timeoutMs);
      const res = await transport.stream(method, signal, timeoutMs, header, input, contextValues).catch(typed);
      return { ...res, message: typedMessages(res, typed) } as typeof res;
    },
  };
}

/**
 * connect-node reports a stream the server refused (REFUSED_STREAM, or
 * above a GOAWAY's last stream id) as INTERNAL when the stream's error event
 * comes first; gRPC's HTTP/2 mapping says UNAVAILABLE, and so does every
 * other stack. The original stays the cause.
 */
function unprocessedAsUnavailable(e: unknown): unknown {
  if (e instanceof ConnectError && e.code === Code.Internal && isUnprocessedError(e)) {
    return new ConnectError(e.rawMessage, Code.Unavailable, e.metadata, undefined, e);
  }
  return e;
}

/**
 * connect-es reports the caller's own `timeoutMs` passing as "the operation
 * timed out"; say which call and which deadline, so that a log line or
 * userctl's error names the problem. The original stays the cause.
 */
function namedDeadline(e: unknown, method: DescMethod, timeoutMs: number | undefined): unknown {
  if (
    e instanceof ConnectError &&
    e.code === Code.DeadlineExceeded &&
    timeoutMs !== undefined &&
    e.rawMessage === "the operation timed out"
  ) {
    // The deadline interceptor words its own deadline errors the same way.
    const message = `deadline exceeded after ${timeoutMs} ms calling ${method.parent.typeName}/${method.name}`;
    return new ConnectError(message, Code.DeadlineExceeded, e.metadata, undefined, e);
  }
  return e;
}

function typedMessages<T>(res: StreamResponse, typed: (e: unknown) => never): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = res.message[Symbol.asyncIterator]() as AsyncIterator<T>;
      return {
        next: () => it.next().catch(typed),
        return: async (value?: unknown) => (await it.return?.(value)) ?? { done: true, value: undefined },
      };
    },
  };
}
