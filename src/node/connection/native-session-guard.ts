import type * as http2 from "node:http2";

/**
 * Keeps a session's native half (node_http2.cc's Http2Session) alive until
 * the native half of a stream that ended abnormally has been freed.
 *
 * Why: when nghttp2 ends a session part-way through a header block (a
 * server sending more CONTINUATION frames than nghttp2 allows, the flood of
 * CVE-2024-27983), the header fields decoded so far stay with the stream's
 * native object, counted against the session. If the garbage collector then
 * frees the native session before that stream, Node.js aborts the whole
 * process in `~Http2Session` (`current_nghttp2_memory_ == 0`): one hostile
 * response kills every call in the process, on Node.js 20, 22 and 24
 * alike, whichever client library made the request. The order of frees is
 * ours to fix from here: the registry below holds the native session
 * strongly until the stream's JS object is collected, which is never before
 * its native handle (that handle points to it), so the session goes in a
 * later GC, once the stream's memory is back.
 *
 * Only streams that ended abnormally are registered (a reset, or a session
 * that was destroyed under them): a stream that ended normally has emitted
 * every header block it received and holds nothing. That keeps the
 * registry off the success path.
 */
const sessionsHeldByStreams = new FinalizationRegistry<object>(() => {});

/**
 * The native handle of `session` (Node.js's internal `kHandle`), once it is
 * connected; undefined before that or where a Node.js keeps it elsewhere, in
 * which case nothing is guarded (and nothing breaks).
 */
export function nativeSessionOf(session: http2.Http2Session): object | undefined {
  for (const key of Object.getOwnPropertySymbols(session)) {
    if (key.description !== "kHandle") continue;
    const handle = (session as unknown as Record<symbol, unknown>)[key];
    return typeof handle === "object" && handle !== null ? handle : undefined;
  }
  return undefined;
}

/**
 * Call from a stream's 'close': when it ended abnormally, `nativeSession`
 * stays reachable until the stream has been garbage collected.
 */
export function guardNativeSession(stream: http2.Http2Stream, session: http2.Http2Session, nativeSession: object | undefined): void {
  if (nativeSession === undefined) return;
  if (stream.rstCode === 0 /* NGHTTP2_NO_ERROR */ && !session.destroyed) return;
  sessionsHeldByStreams.register(stream, nativeSession);
}
