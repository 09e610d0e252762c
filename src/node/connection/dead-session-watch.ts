import type * as http2 from "node:http2";

/**
 * Finds an HTTP/2 session that nghttp2 has ended without telling Node.js
 * (issue 13 item 3, the "zombie connection").
 *
 * After a connection error of the server's (bad HPACK, DATA before HEADERS,
 * a frame over the frame size), nghttp2 sends GOAWAY (COMPRESSION_ERROR,
 * PROTOCOL_ERROR, FRAME_SIZE_ERROR) and stops: it reads and writes nothing
 * more. Node.js 20 and 22 emit nothing at all — no 'error', 'goaway',
 * 'frameError' or 'close' on the session or its streams; `session.closed`
 * and `destroyed` stay false; new streams are accepted and never sent; a
 * stream we reset never closes. Checked on the wire by our hostile peer
 * (test/helpers/hostile-peer.ts).
 *
 * What does show: the socket's byte counters and `session.state`. Such a
 * session never writes again, so a PING it accepts never leaves. While
 * streams are in flight, this watch looks every `checkMs`:
 * - bytes arrived that changed nothing we can see (no stream closed, no
 *   flow-control state moved), or frames wait in nghttp2's outbound queue
 *   while nothing was written: it sends one PING as a probe;
 * - a probe that, `checkMs` later, still has not been written although the
 *   socket could write (no bytes written, none pending in libuv): the
 *   session is dead, and `onDead` ends it.
 *
 * A probe that is written but not answered proves nothing here (a busy or
 * slow peer); that is what keepalive's timeout is for. Probes follow bytes
 * from the server, which resets gRPC servers' ping strikes (gRFC A8), and at
 * most one is in flight.
 */
export interface DeadSessionWatch {
  /** A stream closed: the bytes that brought its end had an effect. */
  streamClosed(): void;
  /** Streams are in flight: watch (idempotent). */
  start(): void;
  /** No stream in flight: stop watching (idempotent). */
  stop(): void;
}

interface Counters {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

export function watchForDeadSession(
  session: http2.ClientHttp2Session,
  socket: () => Counters | undefined,
  checkMs: number,
  onDead: () => void,
): DeadSessionWatch {
  let timer: NodeJS.Timeout | undefined;
  let lastRead = -1;
  let lastWritten = -1;
  let lastFlow = "";
  let closes = 0;
  /** bytesWritten when the probe in flight was sent, or -1 for none. */
  let probeWritten = -1;
  /** bytesRead once the last probe's ACK arrived: those bytes were ours. */
  let readAtAck = -1;

  const check = () => {
    const counters = socket();
    if (counters === undefined || session.destroyed) return;
    const { bytesRead, bytesWritten } = counters;
    const state = session.state;
    const pendingInLibuv = writeQueueSize(counters) > 0;
    if (probeWritten >= 0) {
      if (bytesWritten === probeWritten && !pendingInLibuv && (state.outboundQueueSize ?? 0) > 0) {
        stop();
        onDead();
        return;
      }
    } else {
      const flow = flowOf(state);
      const quietBytes = lastRead >= 0 && bytesRead !== lastRead && bytesRead !== readAtAck && closes === 0 && flow === lastFlow;
      const stuckQueue = lastWritten >= 0 && bytesWritten === lastWritten && !pendingInLibuv && (state.outboundQueueSize ?? 0) > 0;
      lastFlow = flow;
      if (quietBytes || stuckQueue) probe(bytesWritten);
    }
    lastRead = bytesRead;
    lastWritten = bytesWritten;
    closes = 0;
  };

  const probe = (bytesWritten: number) => {
    probeWritten = bytesWritten;
    let sent = false;
    try {
      sent = session.ping(() => {
        // Answered, or cancelled because the session is going away: either way not ours to judge.
        probeWritten = -1;
        readAtAck = socket()?.bytesRead ?? -1;
      });
    } catch {
      // ping() throws on a destroyed session; 'close' handles that.
    }
    if (!sent) probeWritten = -1;
  };

  const stop = () => {
    if (timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
    lastRead = -1;
    lastWritten = -1;
  };

  return {
    streamClosed() {
      closes++;
    },
    start() {
      if (timer !== undefined) return;
      // The baseline: what arrives from now on is judged at the first check.
      const counters = socket();
      if (counters !== undefined && !session.destroyed) {
        lastRead = counters.bytesRead;
        lastWritten = counters.bytesWritten;
        lastFlow = flowOf(session.state);
      }
      closes = 0;
      timer = setInterval(check, checkMs);
      timer.unref();
    },
    stop,
  };
}

/** The flow-control figures that move when DATA arrives (not when we send). */
function flowOf(state: http2.SessionState): string {
  return `${state.effectiveRecvDataLength}:${state.localWindowSize}`;
}

/** Bytes libuv still holds for the socket (a peer not reading fills it); 0 when unknown. */
function writeQueueSize(socket: object): number {
  const handle = (socket as { _handle?: { writeQueueSize?: unknown } })._handle;
  return typeof handle?.writeQueueSize === "number" ? handle.writeQueueSize : 0;
}
