import type { DescMethodServerStreaming, DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { CallOptions, Transport } from "@connectrpc/connect";

/**
 * Opens a server stream on `transport` and resolves with its messages once
 * the response has started: what connect's `createClient` does for a server
 * stream, without its wrapping generators (2 KB a held stream), and with the
 * transport's own iterator, so that leaving a `for await` early reaches the
 * transport (see streams-cancel-on-return.ts).
 */
export async function openServerStream<I extends DescMessage, O extends DescMessage>(
  transport: Transport,
  method: DescMethodServerStreaming<I, O>,
  input: MessageInitShape<I>,
  options: CallOptions,
): Promise<AsyncIterable<MessageShape<O>>> {
  const res = await transport.stream(method, options.signal, options.timeoutMs, options.headers, one(input), options.contextValues);
  return res.message;
}

/** An async iterable of one item, without a generator. */
function one<T>(item: T): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      let given = false;
      return {
        next: () => {
          if (given) return Promise.resolve({ done: true as const, value: undefined });
          given = true;
          return Promise.resolve({ done: false as const, value: item });
        },
      };
    },
  };
}
