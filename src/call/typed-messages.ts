import type { ConnectError } from "@connectrpc/connect";
import { deadlineError } from "./call-timeout.js";
import type { GrpcCall } from "./grpc-call.js";

/**
 * A handed-out stream's messages, for both runtimes' transports: errors
 * while reading are typed and never retried, and the call ends with the
 * stream (read to its end, failed, or left early through `return()`).
 * `call` is undefined where an outer layer wraps messages a second time.
 */
export function typedMessages<T>(
  messages: AsyncIterable<T>,
  call: GrpcCall | undefined,
  typed: (e: unknown) => ConnectError,
): AsyncIterable<T> {
  const it = messages[Symbol.asyncIterator]();
  const wrapped: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => wrapped,
    next: () =>
      it.next().then(
        (r) => {
          if (r.done === true) call?.finish();
          return r;
        },
        (e: unknown) => {
          // A server that ends the stream at the deadline (grpc-go resets it
          // with CANCEL) beats our own timer by a hair: once the deadline has
          // passed, the call ended by its deadline (PROTOCOL-HTTP2.md).
          const error = call !== undefined && call.ended === undefined && call.remainingMs() <= 0 ? deadlineError(call, 1, e) : e;
          call?.finish();
          throw typed(error);
        },
      ),
    return: async (value?: unknown) => {
      const r = (await it.return?.(value)) ?? { done: true as const, value: undefined };
      call?.finish();
      return r as IteratorResult<T>;
    },
  };
  return wrapped;
}
