import type { DescMessage, DescMethod, DescMethodStreaming, DescMethodUnary, MessageShape } from "@bufbuild/protobuf";
import type { ContextValues, Interceptor, StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "@connectrpc/connect";

type Message = MessageShape<DescMessage>;

/** Applies interceptors around `next`, the first in the list outermost (connect's order). */
export function chainInterceptors(
  interceptors: readonly Interceptor[],
  next: (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>,
): (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse> {
  let fn = next;
  for (let i = interceptors.length - 1; i >= 0; i--) fn = interceptors[i]!(fn);
  return fn;
}

/** The request a unary call's interceptors see. */
export function unaryRequest(
  method: DescMethod,
  url: string,
  signal: AbortSignal,
  header: Headers,
  contextValues: ContextValues,
  message: Message,
): UnaryRequest {
  return {
    stream: false,
    service: method.parent,
    method: method as DescMethodUnary,
    requestMethod: "POST",
    url,
    signal,
    header,
    contextValues,
    message,
  };
}

/** The request a streaming call's interceptors see. */
export function streamRequest(
  method: DescMethod,
  url: string,
  signal: AbortSignal,
  header: Headers,
  contextValues: ContextValues,
  message: AsyncIterable<unknown>,
): StreamRequest {
  return {
    stream: true,
    service: method.parent,
    method: method as DescMethodStreaming,
    requestMethod: "POST",
    url,
    signal,
    header,
    contextValues,
    message: message as AsyncIterable<Message>,
  };
}

let never: AbortSignal | undefined;
/** A signal for interceptors when the caller gave none; it never aborts, so nothing listens for long. */
export function neverAborted(): AbortSignal {
  return (never ??= new AbortController().signal);
}
