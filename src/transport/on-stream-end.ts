import { Code, ConnectError, type StreamResponse } from "@connectrpc/connect";

/**
 * Returns `res` with its messages passed through unchanged, calling `done`
 * exactly once when the stream ends: with undefined when it completed, the
 * error it failed with, or Canceled when the reader stopped early.
 * Server-side, a streaming handler runs while its messages are read, so this
 * is when the handler has finished; client-side, when the call is over.
 */
export function onStreamEnd<T extends StreamResponse>(res: T, done: (error?: unknown) => void): T {
  const messages = res.message;
  return {
    ...res,
    message: (async function* () {
      let outcome: { error?: unknown } | undefined;
      try {
        yield* messages;
        outcome = {};
      } catch (e) {
        outcome = { error: e };
        throw e;
      } finally {
        done(outcome ? outcome.error : new ConnectError("stream abandoned by its reader", Code.Canceled));
      }
    })(),
  };
}
