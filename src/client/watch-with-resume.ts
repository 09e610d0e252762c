import { Code, ConnectError } from "@connectrpc/connect";
import type { WatchUsersResponse } from "../../gen/user/v1/user_service_pb.js";
import { toTypedError } from "../errors/to-typed-error.js";
import { backoffDelayMs, sleep, systemClock } from "../interceptors/backoff.js";

/** How a resumable watch reopens its stream. */
export interface ResumeOptions {
  /**
   * Consecutive failed openings before giving up. A stream that stayed open
   * at least `maxBackoffMs` before it failed was working, so its failure
   * starts a new count (as client-go's watch backoff resets after a healthy
   * period): a quiet watch survives any number of connection resets spread
   * over time. Defaults to 8.
   */
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

/** What a watch streams from; made when the watch is first read. */
export interface WatchSource {
  /** The watch's lifetime: aborting it ends the watch with Canceled. */
  signal: AbortSignal;
  /**
   * Whether leaving a stream's iterator early cancels its call (our own
   * transports): then a stream needs no AbortController of its own.
   */
  cancelsOnReturn: boolean;
  /** Opens the stream from `sinceSequence`; `signal` aborts it. */
  open(sinceSequence: bigint, signal: AbortSignal): AsyncIterable<WatchUsersResponse> | Promise<AsyncIterable<WatchUsersResponse>>;
}

/**
 * Streams WatchUsers events and, after a resumable failure, reopens the
 * stream from the last sequence it delivered: each event is delivered once,
 * in order, none skipped while the server still retains it (a gap the server
 * no longer holds ends the watch with OUT_OF_RANGE, never silently).
 * `start` runs at the first read, so that its errors (a closed client) fail
 * the iteration rather than the call that made it.
 */
export async function* watchWithResume(
  start: () => WatchSource,
  sinceSequence: bigint,
  options: ResumeOptions = {},
): AsyncGenerator<WatchUsersResponse> {
  const source = start();
  const signal = source.signal;
  const maxReconnects = options.maxReconnects ?? 8;
  const backoff = {
    initialBackoffMs: options.initialBackoffMs ?? 100,
    maxBackoffMs: options.maxBackoffMs ?? 5000,
    backoffMultiplier: 2,
  };
  let last = sinceSequence;
  let failures = 0;
  for (;;) {
    // Over connect's stream iterables, which ignore return(), only aborting
    // its signal cancels a stream: each opening gets its own, aborted once
    // the caller stops reading (or the stream failed), so no stream is left
    // open. Our own transports end the call on return(), which for await
    // calls when the caller stops reading: the watch's signal is enough.
    const opened = source.cancelsOnReturn ? undefined : new AbortController();
    const openedAt = systemClock.now();
    // Linked by hand: AbortSignal.any costs kilobytes per open stream.
    const onAbort = opened === undefined ? undefined : () => opened.abort(signal.reason);
    if (onAbort !== undefined) {
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
    // Iterated by hand, not with for await: over connect's transports the
    // stream's return() waits for the stream to end, which only the abort in
    // `finally` brings about, so the abort has to come first.
    let events: AsyncIterator<WatchUsersResponse> | undefined;
    try {
      events = (await source.open(last, opened?.signal ?? signal))[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<WatchUsersResponse>;
        try {
          next = await events.next();
        } catch (e) {
          events = undefined; // a stream that failed is over: nothing to return()
          throw e;
        }
        if (next.done === true) {
          events = undefined;
          return; // the server ended the stream normally
        }
        const event = next.value;
        if (event.sequence <= last) continue; // already delivered before a reconnect
        last = event.sequence;
        failures = 0;
        yield event;
      }
    } catch (e) {
      const error = toTypedError(e);
      // Open longer than the longest backoff: it worked until now, with or without events.
      if (systemClock.now() - openedAt >= backoff.maxBackoffMs) failures = 0;
      if (signal.aborted || !resumableCodes.has(error.code) || ++failures > maxReconnects) throw error;
      const delayMs = backoffDelayMs(failures, backoff, Math.random);
      options.onResume?.({ sinceSequence: last, attempt: failures, error, delayMs });
      // The same abortable sleep as the retry interceptor; an abort during it is Canceled.
      await sleep(delayMs, signal, systemClock).catch((reason: unknown) => {
        throw toTypedError(reason);
      });
    } finally {
      if (opened !== undefined) {
        signal.removeEventListener("abort", onAbort!);
        opened.abort(new ConnectError("watch stopped reading", Code.Canceled));
      }
      // The caller stopped reading: our transports cancel the call here, and
      // connect's release it once the abort above has ended it.
      if (events !== undefined) await events.return?.();
    }
  }
}
