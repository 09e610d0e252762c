import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { onStreamEnd } from "./on-stream-end.js";

/** A transport that can be closed gracefully. */
export interface ClosableTransport extends Transport, AsyncDisposable {
  /**
   * New calls fail at once (CANCELED, "transport is closed"); calls in
   * flight get `graceMs` to finish (a response stream finishes when it is
   * read to the end), then are cancelled; then `release` frees the
   * connections. Idempotent: later calls return the same promise.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Calls in flight right now. */
  activeCalls(): number;
}

/** How long `close()` lets calls in flight finish, unless told otherwise. */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;

/**
 * Wraps a transport with call tracking and graceful close. Every call gets
 * its own AbortController, linked to the caller's signal, so close can
 * cancel exactly the calls still running.
 */
export function createClosableTransport(transport: Transport, release: () => void | Promise<void>): ClosableTransport {
  const active = new Set<AbortController>();
  let drained: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const begin = (signal: AbortSignal | undefined): { controller: AbortController; end: () => void } => {
    if (closing) {
      throw new ConnectError("transport is closed: close() was called, so it takes no new calls", Code.Canceled);
    }
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    active.add(controller);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      signal?.removeEventListener("abort", onAbort);
      active.delete(controller);
      if (active.size === 0) drained?.();
    };
    return { controller, end };
  };

  const self: ClosableTransport = {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const call = begin(signal);
      try {
        return await transport.unary(method, call.controller.signal, timeoutMs, header, input, contextValues);
      } finally {
        call.end();
      }
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      const call = begin(signal);
      try {
        const res = await transport.stream(method, call.controller.signal, timeoutMs, header, input, contextValues);
        return onStreamEnd(res, call.end);
      } catch (e) {
        call.end();
        throw e;
      }
    },
    close(options = {}) {
      closing ??= (async () => {
        const graceMs = options.graceMs ?? DEFAULT_CLOSE_GRACE_MS;
        if (active.size > 0) {
          const allDone = new Promise<void>((resolve) => (drained = resolve));
          let timer: NodeJS.Timeout | number | undefined;
          await Promise.race([allDone, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
          clearTimeout(timer);
        }
        const reason = new ConnectError(
          `transport closed: the call did not finish within the ${options.graceMs ?? DEFAULT_CLOSE_GRACE_MS} ms grace period`,
          Code.Canceled,
        );
        for (const controller of active) controller.abort(reason);
        await release();
      })();
      return closing;
    },
    activeCalls: () => active.size,
    [Symbol.asyncDispose]() {
      return self.close();
    },
  };
  return self;
}
