import * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { watchForDeadSession } from "./dead-session-watch.js";
import { createNativeSessionGuard } from "./native-session-guard.js";
import { notSentError } from "./not-sent-error.js";

/** Options for {@link createHttp2Connection}; the pool resolves every default. */
export interface Http2ConnectionOptions {
  /** The endpoint's origin, e.g. "http://127.0.0.2:50051". */
  origin: string;
  /** Until the server's SETTINGS arrive; then the connection is ready. */
  connectTimeoutMs: number;
  /** PING interval, or undefined for no keepalive. */
  keepaliveIntervalMs: number | undefined;
  keepaliveTimeoutMs: number;
  /** PING even with no call in flight (GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS). */
  keepaliveWithoutCalls: boolean;
  /** Close the connection once it has had no stream for this long. */
  idleTimeoutMs: number;
  /** The window advertised per stream (SETTINGS_INITIAL_WINDOW_SIZE) and for the connection. */
  flowControlWindowBytes: number;
  /** TLS and socket options for http2.connect. */
  nodeOptions: http2.SecureClientSessionOptions;
  /** The server sent GOAWAY ENHANCE_YOUR_CALM "too_many_pings" (gRFC A8). */
  onTooManyPings(): void;
  /** The connection stopped taking new streams (GOAWAY, PING timeout, idle, error) or closed. */
  onUnusable(connection: Http2Connection): void;
}

/** One HTTP/2 connection to one endpoint. */
export interface Http2Connection {
  readonly origin: string;
  /** Resolves when the server's SETTINGS arrived; rejects with an UNAVAILABLE "not sent" error. */
  readonly ready: Promise<void>;
  /** Whether new streams may go here: ready, not draining, not closed. */
  usable(): boolean;
  /** Whether a new stream fits under the server's SETTINGS_MAX_CONCURRENT_STREAMS, counting reserved ones. */
  hasCapacity(): boolean;
  /** Holds a place for a stream about to be opened with `request`, so concurrent callers spread out. */
  reserve(): void;
  readonly activeStreams: number;
  /** Whether it closed only because it sat idle (not a failure worth reconnecting for). */
  idleClosed(): boolean;
  request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
    background?: boolean,
  ): http2.ClientHttp2Stream;
  /**
   * Opens a stream with headers that already hold `:method` and `:path`:
   * the gRPC transport's path, which builds one header object per call and
   * never copies it again.
   */
  open(headers: http2.OutgoingHttpHeaders, options?: http2.ClientSessionRequestOptions): http2.ClientHttp2Stream;
  /** Streams in flight finish, then the connection closes. */
  drain(): void;
  /** Closes at once; streams in flight fail. */
  destroy(error?: Error): void;
}

/**
 * How often a connection with streams in flight checks that nghttp2 still
 * runs its session (see dead-session-watch.ts): a dead one is found within
 * about two periods.
 */
const deadSessionCheckMs = 100;

const certificateErrors = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Opens an HTTP/2 connection with a connect timeout, keepalive PINGs and an idle timeout. */
export function createHttp2Connection(options: Http2ConnectionOptions): Http2Connection {
  const { origin } = options;
  let state: "connecting" | "ready" | "draining" | "closed" = "connecting";
  let activeStreams = 0;
  let reserved = 0;
  let idleClosed = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let keepaliveTimer: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  /** The streams in flight, with the socket's bytesWritten when each was opened. */
  const streams = new Map<http2.ClientHttp2Stream, number>();
  let socket: { bytesRead: number; bytesWritten: number } | undefined;
  // No server push: gRPC never uses it (PROTOCOL-HTTP2.md), and with Node's
  // default (enablePush true) a PUSH_PROMISE becomes a pushed stream nobody
  // listens to, whose 'error' would crash the process (issue 13 item 1).
  // With push off, nghttp2 treats a PUSH_PROMISE as a connection error
  // (RFC 9113 section 8.4): the streams fail with ERR_HTTP2_ERROR, INTERNAL.
  const session = http2.connect(origin, {
    ...options.nodeOptions,
    settings: { initialWindowSize: options.flowControlWindowBytes, ...options.nodeOptions.settings, enablePush: false },
  });
  /** Every stream's 'close', ours or not: one that ended abnormally keeps the native session alive until it is freed. */
  const guardOnClose = createNativeSessionGuard(session);
  // Should a push get through anyway, it is refused and its errors are ours.
  session.on("stream", (pushed: http2.ClientHttp2Stream) => {
    pushed.on("error", () => {});
    pushed.on("close", guardOnClose);
    pushed.close(http2.constants.NGHTTP2_REFUSED_STREAM);
  });

  const becomeUnusable = (next: "draining" | "closed") => {
    const wasUsable = state === "ready";
    if (state !== "closed") state = next;
    if (next === "closed") deadWatch.stop();
    clearTimeout(idleTimer);
    clearInterval(keepaliveTimer);
    clearTimeout(pingTimer);
    if (wasUsable || next === "closed") options.onUnusable(connection);
  };

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = notSentError(`cannot connect to ${origin}: no HTTP/2 connection within ${options.connectTimeoutMs} ms`);
      reject(error);
      session.destroy(error);
    }, options.connectTimeoutMs);
    timer.unref();
    // gRPC sends small frames it wants on the wire now (PROTOCOL-HTTP2.md
    // leaves it to the transport; grpc-js and grpc-go disable Nagle too).
    session.once(
      "connect",
      (
        _session: http2.ClientHttp2Session,
        raw: { setNoDelay?: (noDelay: boolean) => unknown; bytesRead: number; bytesWritten: number },
      ) => {
        socket = raw;
        raw.setNoDelay?.(true);
        // The connection's window is not a SETTING: it grows by a WINDOW_UPDATE, sent here.
        session.setLocalWindowSize(options.flowControlWindowBytes);
      },
    );
    session.once("remoteSettings", () => {
      clearTimeout(timer);
      if (state !== "connecting") return;
      state = "ready";
      armIdleTimer();
      armKeepalive();
      resolve();
    });
    const onError = (error: Error & { code?: string }) => {
      clearTimeout(timer);
      reject(notSentError(`cannot connect to ${origin}: ${describeConnectError(error)}`, error));
    };
    const onClose = () => {
      clearTimeout(timer);
      // A mutual-TLS server that rejects our certificate may just hang up, with no alert to read.
      const hint = origin.startsWith("https:")
        ? options.nodeOptions.cert === undefined
          ? " (if it requires mutual TLS, give a client certificate: cert and key)"
          : " (if it requires mutual TLS, it may not trust our client certificate)"
        : "";
      reject(notSentError(`cannot connect to ${origin}: the connection closed before the HTTP/2 handshake${hint}`));
    };
    session.once("error", onError);
    session.once("close", onClose);
    // Node.js reports some TLS failures (a TLS 1.3 server refusing our client
    // certificate after the handshake) only on the socket, then destroys the
    // session without an event.
    session.socket?.once("error", onError);
    session.socket?.once("close", onClose);
  });
  // A failed connect is reported through `ready` to whoever asked; never unhandled.
  ready.catch(() => {});

  // A session nghttp2 ended in silence (issue 13 item 3): its streams fail
  // now instead of at their deadlines, and new calls go to a fresh connection.
  const deadWatch = watchForDeadSession(
    session,
    () => socket,
    deadSessionCheckMs,
    () => {
      const written = socket?.bytesWritten;
      const reason = `nghttp2 ended the HTTP/2 session without telling Node.js, most likely after a protocol violation by the server (bad HPACK, DATA before HEADERS, a frame over the frame size)`;
      const lost = new ConnectError(`connection to ${origin} lost: ${reason}`, Code.Unavailable);
      for (const [stream, writtenAtOpen] of streams) {
        // A stream opened after the session died never left the client: safe to send again, for any method.
        stream.destroy(written === writtenAtOpen ? notSentError(`call to ${origin} not sent: ${reason}`) : lost);
      }
      becomeUnusable("closed");
      session.destroy();
    },
  );

  // After the handshake, errors end the streams they concern; the session itself must never throw.
  session.on("error", () => {});
  session.on("close", () => becomeUnusable("closed"));
  session.on("goaway", (errorCode: number, _lastStreamId: number, opaqueData?: Buffer) => {
    if (errorCode === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM && opaqueData?.toString() === "too_many_pings") {
      options.onTooManyPings();
    }
    // Node.js itself fails the streams above lastStreamId with REFUSED_STREAM
    // (retried transparently) and lets the others finish.
    becomeUnusable("draining");
    if (activeStreams === 0) session.close();
  });

  function armIdleTimer() {
    clearTimeout(idleTimer);
    if (activeStreams > 0 || state !== "ready") return;
    // An idle connection must not keep the process alive.
    session.unref();
    idleTimer = setTimeout(() => {
      idleClosed = true;
      becomeUnusable("draining");
      session.close();
    }, options.idleTimeoutMs);
    idleTimer.unref();
  }

  function armKeepalive() {
    const interval = options.keepaliveIntervalMs;
    if (interval === undefined) return;
    keepaliveTimer = setInterval(() => {
      if (state !== "ready" || pingTimer !== undefined) return;
      if (activeStreams === 0 && !options.keepaliveWithoutCalls) return;
      pingTimer = setTimeout(() => {
        const error = new ConnectError(
          `keepalive PING to ${origin} not answered within ${options.keepaliveTimeoutMs} ms: the connection is dead`,
          Code.Unavailable,
        );
        becomeUnusable("closed");
        session.destroy(error);
      }, options.keepaliveTimeoutMs);
      pingTimer.unref();
      const sent = session.ping((error) => {
        clearTimeout(pingTimer);
        pingTimer = undefined;
        void error; // a failed PING means the session is going away; its close handler deals with that
      });
      if (!sent) {
        clearTimeout(pingTimer);
        pingTimer = undefined;
      }
    }, interval);
    keepaliveTimer.unref();
  }

  function track(stream: http2.ClientHttp2Stream): http2.ClientHttp2Stream {
    activeStreams++;
    streams.set(stream, socket?.bytesWritten ?? 0);
    clearTimeout(idleTimer);
    session.ref();
    deadWatch.start();
    // on, not once: a stream closes once, and once() wraps the listener anew for every stream.
    stream.on("close", onStreamClose);
    // Node.js 24 reports a request on a closing session as an 'error' on the
    // stream in the next tick (20 and 22 throw): a stream must never be
    // without an 'error' listener, or one bad session crashes the process.
    // The exchange adds its own listener, which reads the error.
    stream.on("error", ignoreError);
    return stream;
  }
  function onStreamClose(this: http2.ClientHttp2Stream) {
    guardOnClose.call(this);
    activeStreams--;
    streams.delete(this);
    deadWatch.streamClosed();
    if (activeStreams === 0) deadWatch.stop();
    if (activeStreams > 0) return;
    if (state === "draining") session.close();
    else armIdleTimer();
  }

  const connection: Http2Connection = {
    origin,
    ready,
    usable: () => state === "ready" && !session.closed && !session.destroyed,
    hasCapacity: () => activeStreams + reserved < (session.remoteSettings.maxConcurrentStreams ?? Infinity),
    reserve() {
      reserved++;
    },
    get activeStreams() {
      return activeStreams;
    },
    idleClosed: () => idleClosed,
    request(method, path, headers, requestOptions, background = false) {
      if (reserved > 0) reserved--;
      const stream = session.request({ ...headers, ":method": method, ":path": path }, requestOptions);
      // A background stream (our own health watch) neither keeps the process
      // alive nor keeps the connection from going idle.
      if (background) {
        stream.on("close", guardOnClose);
        return stream;
      }
      return track(stream);
    },
    open(headers, requestOptions) {
      if (reserved > 0) reserved--;
      return track(session.request(headers, requestOptions));
    },
    drain() {
      becomeUnusable("draining");
      if (!session.closed) session.close();
    },
    destroy(error) {
      becomeUnusable("closed");
      session.destroy(error);
    },
  };
  return connection;
}

function describeConnectError(error: Error & { code?: string }): string {
  if (error.code !== undefined && certificateErrors.has(error.code)) {
    return `TLS certificate verification failed: ${error.message}`;
  }
  if (/alert (certificate required|bad certificate|unknown ca|certificate unknown)/i.test(error.message)) {
    return `the server refused our client certificate (mutual TLS): ${error.message.trim()}`;
  }
  // What nghttp2 says when the peer answers our HTTP/2 preface in HTTP/1.1:
  // gRPC-Web proxies (grpcwebproxy, Envoy's HTTP/1.1 listeners) often do (issue 15 item 6).
  if (error.code === "ERR_HTTP2_ERROR" && /protocol error/i.test(error.message)) {
    return `${error.message} (the server may speak HTTP/1.1 only: for gRPC-Web or Connect set httpVersion: "1.1"; gRPC needs HTTP/2)`;
  }
  return error.message;
}

function ignoreError(): void {}
