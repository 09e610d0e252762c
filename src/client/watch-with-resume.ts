import { Code, ConnectError } from "@connectrpc/connect";
import type { WatchUsersResponse } from "../../gen/user/v1/user_service_pb.js";
import { toTypedError } from "../errors/to-typed-error.js";
import { backoffDelayMs, sleep, systemClock } from "../interceptors/backoff.js";

/** How a resumable watch reopens its stream. */
export interface ResumeOptions {
  /** Consecutive failed openings before giving up. Defaults to 8. */
  maxReconnects?: number;
  /** First backoff before reopening, doubled each time (full jitter). Defaults to 100 ms. */
  initialBackoffMs?: number;
  /** Largest backoff. Defaults to 5 seconds. */
  maxBackoffMs?: number;
  /** Called before each reopening, e.g. to log it. */
  onResume?: (event: { sinceSequence: bigint; attempt: number; error: ConnectError; delayMs: number }) => void;
}

/** Codes after which reopening can help: the server went away, shed load, or the watcher fell behind. */
const resumableCodes = new Set([Code.Unavailable, Code.ResourceExhausted, Code.Aborted, Code.Internal, Code.Unknown]);

/**
 * Streams WatchUsers events and, after a resumable failure, reopens the
 * stream from the last sequence it delivered: each event is delivered once,
 * in order, none skipped while the server still retains it (a gap the server
 * no longer holds ends the watch with OUT_OF_RANGE, never silently).
 */
export async function* watchWithResume(
  open: (sinceSequence: bigint, signal: AbortSignal) => AsyncIterable<WatchUsersResponse>,
  sinceSequence: bigint,
  signal: AbortSignal,
  options: ResumeOptions = {},
): AsyncGenerator<WatchUsersResponse> {
  const maxReconnects = options.maxReconnects ?? 8;
  const backoff = {
    initialBackoffMs: options.initialBackoffMs ?? 100,
    maxBackoffMs: options.maxBackoffMs ?? 5000,
    backoffMultiplier: 2,
  };
  let last = sinceSequence;
  let failures = 0;
  for (;;) {
    // Connect's stream iterables ignore return(): only aborting its signal
    // cancels a stream, so each opening gets its own, aborted once the
    // caller stops reading (or the stream failed), and no stream is left open.
    const opened = new AbortController();
    // Linked by hand: AbortSignal.any costs kilobytes per open stream.
    const onAbort = () => opened.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const event of open(last, opened.signal)) {
        if (event.sequence <= last) continue; // already delivered before a reconnect
        last = event.sequence;
        failures = 0;
        yield event;
      }
      return; // the server ended the stream normally
    } catch (e) {
      const error = toTypedError(e);
      if (signal.aborted || !resumableCodes.has(error.code) || ++failures > maxReconnects) throw error;
      const delayMs = backoffDelayMs(failures, backoff, Math.random);
      options.onResume?.({ sinceSequence: last, attempt: failures, error, delayMs });
      // The same abortable sleep as the retry interceptor; an abort during it is Canceled.
      await sleep(delayMs, signal, systemClock).catch((reason: unknown) => {
        throw toTypedError(reason);
      });
    } finally {
      signal.removeEventListener("abort", onAbort);
      opened.abort(new ConnectError("watch stopped reading", Code.Canceled));
    }
  }
}
