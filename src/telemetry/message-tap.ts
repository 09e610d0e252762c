import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { Histogram, Attributes } from "@opentelemetry/api";
import { safely } from "./safely.js";

/**
 * Counts the messages of one direction of a call, and records each one's
 * size when a meter records. The size is that of the message encoded as
 * binary protobuf, uncompressed (what gRPC calls the uncompressed size): an
 * interceptor sees messages, not bytes, so it costs one extra serialization
 * per message, which is why it is skipped without a recording meter.
 */
export interface MessageTap {
  /** Messages seen so far. */
  count(): number;
  /** Counts one message (and measures it). */
  see(message: unknown): void;
  /** Passes `messages` through, counting each one as it goes by. */
  tap<T>(messages: AsyncIterable<T>): AsyncIterable<T>;
}

/** Creates a tap for messages of `schema`, sizes into `sizes` (or none) with `attributes`. */
export function createMessageTap(schema: DescMessage, sizes: Histogram | undefined, attributes: Attributes): MessageTap {
  let count = 0;
  const see = (message: unknown) => {
    count++;
    if (sizes === undefined) return;
    safely("message size", () => sizes.record(toBinary(schema, message as MessageShape<DescMessage>).byteLength, attributes), undefined);
  };
  return {
    count: () => count,
    see,
    async *tap<T>(messages: AsyncIterable<T>) {
      for await (const message of messages) {
        see(message);
        yield message;
      }
    },
  };
}
