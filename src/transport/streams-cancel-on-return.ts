import type { Transport } from "@connectrpc/connect";

/**
 * Marks a transport whose stream responses end their call as soon as the
 * reader leaves a `for await` early (the iterator's `return()`), the way
 * our own gRPC transport on Node does. A client that streams over it needs
 * no AbortController of its own per stream, which costs 1.7 KB a held
 * stream on Node. Over any other transport (connect's, whose `createClient`
 * iterables drop `return()`), only aborting the call's signal is known to
 * cancel it. An interceptor that wraps a stream's messages must forward
 * `return()` (an async generator does) for the mark to stay true.
 */
export const streamsCancelOnReturn: unique symbol = Symbol.for("userctl-rpc.streamsCancelOnReturn");

/** Whether `transport` carries {@link streamsCancelOnReturn}. */
export function cancelsStreamsOnReturn(transport: Transport): boolean {
  return (transport as { [streamsCancelOnReturn]?: unknown })[streamsCancelOnReturn] === true;
}
