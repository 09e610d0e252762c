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
 *
 * The listener returned also closes over the handle, and a stream keeps its
 * 'close' listeners after it closes, so in practice a stream with this
 * listener holds the session already; the registry makes that a guarantee
 * that does not depend on anyone's listeners staying attached. (So the test,
 * native-session-guard.test.ts, fails without the guard, not without the
 * registry alone.)
 */
const sessionsHeldByStreams = new FinalizationRegistry<object>(() => {});

/**
 * Returns the listener for every stream's 'close' on `session` (`this` is
 * the stream): a stream that ended abnormally keeps the session's native
 * handle reachable until the stream has been garbage collected. The handle
 * is Node.js's internal `kHandle`, read on 'connect' (a destroyed session
 * has dropped it); where a Node.js keeps it elsewhere, nothing is guarded
 * and nothing breaks.
 */
export function createNativeSessionGuard(session: http2.ClientHttp2Session): (this: http2.Http2Stream) => void {
  let nativeSession: object | undefined;
  session.once("connect", () => {
    const key = Object.getOwnPropertySymbols(session).find((k) => k.description === "kHandle");
    const handle = key === undefined ? undefined : (session as unknown as Record<symbol, unknown>)[key];
    if (typeof handle === "object" && handle !== null) nativeSession = handle;
  });
  return function guard(this: http2.Http2Stream) {
    if (nativeSession === undefined) return;
    if (this.rstCode === 0 /* NGHTTP2_NO_ERROR */ && !session.destroyed) return;
    sessionsHeldByStreams.register(this, nativeSession);
  };
}
