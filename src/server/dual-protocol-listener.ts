import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { rewriteGrpcMessageEncoding } from "./grpc-message-encoding.js";

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/** The server's certificate, and optionally the CA its clients' certificates must chain to. */
export interface ServerTlsOptions {
  /** PEM certificate chain. */
  cert: string | Buffer;
  /** PEM private key. */
  key: string | Buffer;
  /** PEM CA certificate(s): when set, every client must present a certificate signed by one (mutual TLS). */
  clientCa?: string | Buffer | (string | Buffer)[];
}

/** Options for {@link createDualProtocolListener}. */
export interface DualProtocolListenerOptions {
  /** PEM certificate and key: serve TLS with ALPN `h2` and `http/1.1`. Defaults to plaintext. */
  tls?: ServerTlsOptions;
  /** How long a new connection may take to send its first bytes. Defaults to 10 seconds. */
  firstBytesTimeoutMs?: number;
}

/** One port serving HTTP/2 and HTTP/1.1 side by side. */
export interface DualProtocolListener {
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting connections and sends GOAWAY on HTTP/2 sessions; streams in flight go on. */
  stopAccepting(): void;
  /** Closes HTTP/1.1 connections that are idle now. */
  closeIdle(): void;
  /** Destroys every connection still open. */
  destroyAll(): void;
  /** Resolves once every connection has closed. */
  closed(): Promise<void>;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * Serves `handler` over HTTP/2 and HTTP/1.1 on one port. In plaintext, the
 * first bytes of a connection decide: the HTTP/2 client preface ("prior
 * knowledge", as gRPC clients in Go, Python and Node send it) goes to the
 * HTTP/2 server, anything else to HTTP/1.1 (browsers, curl). With TLS, ALPN decides.
 */
export function createDualProtocolListener(handler: Handler, options: DualProtocolListenerOptions = {}): DualProtocolListener {
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  const h1Sockets = new Set<net.Socket>();
  const firstBytesTimeoutMs = options.firstBytesTimeoutMs ?? 10_000;
  let outer: net.Server;
  let draining = false;
  // HTTP/1.1 requests in flight per socket, so idle keep-alive sockets can be
  // closed at shutdown (node's closeIdleConnections only knows sockets of
  // servers that listen themselves).
  const h1Busy = new Map<net.Socket, number>();
  const trackHttp1 = (socket: net.Socket) => {
    if (h1Sockets.has(socket)) return;
    h1Sockets.add(socket);
    socket.once("close", () => {
      h1Sockets.delete(socket);
      h1Busy.delete(socket);
    });
  };
  const serve: Handler = (req, res) => {
    if ("shouldKeepAlive" in res) {
      const socket = req.socket;
      trackHttp1(socket);
      h1Busy.set(socket, (h1Busy.get(socket) ?? 0) + 1);
      res.once("close", () => {
        const left = (h1Busy.get(socket) ?? 1) - 1;
        h1Busy.set(socket, left);
        if (left === 0 && draining) socket.destroySoon();
      });
      // While draining, connections close after their current response
      // instead of being kept alive for requests that would be refused anyway.
      if (draining) res.shouldKeepAlive = false;
    }
    // connect-node percent-encodes grpc-message more than the gRPC spec asks,
    // which clients that decode minimally (grpc-js) show to their users.
    rewriteGrpcMessageEncoding(req, res);
    handler(req, res);
  };
  const closeIdleHttp1 = () => {
    for (const socket of h1Sockets) if ((h1Busy.get(socket) ?? 0) === 0) socket.destroySoon();
  };

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const trackSession = (session: http2.Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // A session error (e.g. a peer that vanished) must never crash the process.
    session.on("error", () => {});
  };

  if (options.tls) {
    const { cert, key, clientCa } = options.tls;
    const secure = http2.createSecureServer(
      {
        cert,
        key,
        allowHTTP1: true,
        // Mutual TLS: the handshake itself refuses a client without a certificate from clientCa.
        ...(clientCa !== undefined && { ca: clientCa, requestCert: true, rejectUnauthorized: true }),
      },
      serve,
    );
    // A failed handshake (e.g. a client without a valid certificate) concerns that client only.
    secure.on("tlsClientError", () => {});
    secure.on("session", trackSession);
    secure.on("secureConnection", track);
    outer = secure;
  } else {
    const h2 = http2.createServer({}, serve);
    h2.on("session", trackSession);
    const plain = http.createServer(serve);
    outer = net.createServer((socket) => {
      track(socket);
      socket.on("error", () => socket.destroy());
      sniff(socket, firstBytesTimeoutMs, (isHttp2) => {
        if (!isHttp2) trackHttp1(socket);
        (isHttp2 ? h2 : plain).emit("connection", socket);
      });
    });
  }

  let allClosed: Promise<void> | undefined;
  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        outer.once("error", reject);
        outer.listen(port, host, () => {
          outer.off("error", reject);
          resolve((outer.address() as net.AddressInfo).port);
        });
      });
    },
    stopAccepting() {
      draining = true;
      allClosed ??= new Promise((resolve) => outer.close(() => resolve()));
      for (const session of sessions) if (!session.closed) session.close();
      closeIdleHttp1();
    },
    closeIdle: closeIdleHttp1,
    destroyAll() {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    },
    closed() {
      return allClosed ?? Promise.resolve();
    },
  };
}

/** Reads just enough of a new connection to tell the HTTP/2 preface from HTTP/1.1, then puts it back. */
function sniff(socket: net.Socket, timeoutMs: number, route: (isHttp2: boolean) => void): void {
  let seen = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const finish = (isHttp2: boolean) => {
    clearTimeout(timer);
    socket.off("readable", onReadable);
    socket.off("close", onClose);
    socket.unshift(seen);
    route(isHttp2);
  };
  const onClose = () => clearTimeout(timer);
  const onReadable = () => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null) {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      if (!seen.subarray(0, n).equals(PREFACE.subarray(0, n))) return finish(false);
      if (n === PREFACE.length) return finish(true);
    }
  };
  socket.on("readable", onReadable);
  socket.once("close", onClose);
}
