import * as http2 from "node:http2";
import * as net from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isUnprocessedError } from "../../../src/interceptors/unprocessed-error.js";
import { connectionLostError, errorFromHttp2Failure, errorFromRstCode } from "../../../src/node/grpc/http2-error.js";
import { countOpenHandles, type OpenHandles, waitForNoLeakedHandles } from "../../helpers/open-handles.js";

const origin = "http://127.0.0.1:1234";
const C = http2.constants;

function nodeError(code: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { code }, extra);
}

describe("errorFromRstCode", () => {
  it("maps every row of PROTOCOL-HTTP2.md's RST_STREAM table", () => {
    const table: [number, Code][] = [
      [C.NGHTTP2_NO_ERROR, Code.Internal],
      [C.NGHTTP2_PROTOCOL_ERROR, Code.Internal],
      [C.NGHTTP2_INTERNAL_ERROR, Code.Internal],
      [C.NGHTTP2_FLOW_CONTROL_ERROR, Code.Internal],
      [C.NGHTTP2_SETTINGS_TIMEOUT, Code.Internal],
      [C.NGHTTP2_STREAM_CLOSED, Code.Internal],
      [C.NGHTTP2_FRAME_SIZE_ERROR, Code.Internal],
      [C.NGHTTP2_REFUSED_STREAM, Code.Unavailable],
      [C.NGHTTP2_CANCEL, Code.Canceled],
      [C.NGHTTP2_COMPRESSION_ERROR, Code.Internal],
      [C.NGHTTP2_CONNECT_ERROR, Code.Internal],
      [C.NGHTTP2_ENHANCE_YOUR_CALM, Code.ResourceExhausted],
      [C.NGHTTP2_INADEQUATE_SECURITY, Code.PermissionDenied],
      [C.NGHTTP2_HTTP_1_1_REQUIRED, Code.Internal],
      [0x42, Code.Internal],
    ];
    for (const [rstCode, code] of table) expect([rstCode, errorFromRstCode(rstCode, origin).code]).toEqual([rstCode, code]);
  });

  it("names the origin and the code in hex", () => {
    expect(errorFromRstCode(7, origin).rawMessage).toBe(
      "http/2 stream to http://127.0.0.1:1234 reset by the server with REFUSED_STREAM (0x7)",
    );
    expect(errorFromRstCode(0, origin).rawMessage).toBe(
      "http/2 stream to http://127.0.0.1:1234 reset by the server with NO_ERROR (0x0) before the response ended",
    );
    expect(errorFromRstCode(0x42, origin).rawMessage).toBe(
      "http/2 stream to http://127.0.0.1:1234 reset by the server with error code 0x42",
    );
  });

  it("marks REFUSED_STREAM as never processed, so it is retried transparently, and nothing else", () => {
    expect(isUnprocessedError(errorFromRstCode(C.NGHTTP2_REFUSED_STREAM, origin))).toBe(true);
    for (let code = 0; code <= 13; code++) {
      if (code !== C.NGHTTP2_REFUSED_STREAM) expect([code, isUnprocessedError(errorFromRstCode(code, origin))]).toEqual([code, false]);
    }
  });
});

describe("errorFromHttp2Failure", () => {
  it("maps Node's reset errors by the code in their message", () => {
    const refused = errorFromHttp2Failure(
      nodeError("ERR_HTTP2_STREAM_ERROR", "Stream closed with error code NGHTTP2_REFUSED_STREAM"),
      origin,
    );
    expect(refused.code).toBe(Code.Unavailable);
    expect(isUnprocessedError(refused)).toBe(true);
    const calm = errorFromHttp2Failure(
      nodeError("ERR_HTTP2_STREAM_ERROR", "Stream closed with error code NGHTTP2_ENHANCE_YOUR_CALM"),
      origin,
    );
    expect(calm.code).toBe(Code.ResourceExhausted);
    expect(errorFromHttp2Failure(nodeError("ERR_HTTP2_STREAM_ERROR", "Stream closed with error code 66"), origin).rawMessage).toBe(
      "http/2 stream to http://127.0.0.1:1234 reset by the server with error code 0x42",
    );
    expect(errorFromHttp2Failure(nodeError("ERR_HTTP2_STREAM_ERROR", "something else"), origin).code).toBe(Code.Internal);
  });

  it("maps a lost connection to UNAVAILABLE, keeping the original as cause", () => {
    for (const code of [
      "ECONNRESET",
      "EPIPE",
      "ETIMEDOUT",
      "ERR_STREAM_PREMATURE_CLOSE",
      "ERR_STREAM_DESTROYED",
      "ERR_SSL_WRONG_VERSION_NUMBER",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    ]) {
      const cause = nodeError(code, `${code.toLowerCase()} happened`);
      const error = errorFromHttp2Failure(cause, origin);
      expect([code, error.code]).toEqual([code, Code.Unavailable]);
      expect(error.rawMessage).toBe(`connection to http://127.0.0.1:1234 lost: ${code.toLowerCase()} happened`);
      expect(error.cause).toBe(cause);
      expect(isUnprocessedError(error)).toBe(false);
    }
  });

  it("maps any other system error of the socket to UNAVAILABLE", () => {
    expect(errorFromHttp2Failure(nodeError("EWHATEVER", "read EWHATEVER", { syscall: "read" }), origin).code).toBe(Code.Unavailable);
  });

  it("marks calls that never left the client as not sent", () => {
    const refusedConnect = nodeError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1234", { syscall: "connect" });
    for (const error of [
      nodeError("ERR_HTTP2_GOAWAY_SESSION", "New streams cannot be created after receiving a GOAWAY"),
      nodeError("ERR_HTTP2_INVALID_SESSION", "The session has been destroyed"),
      nodeError("ERR_HTTP2_STREAM_CANCEL", "The pending stream has been canceled", { cause: refusedConnect }),
      refusedConnect,
    ]) {
      const mapped = errorFromHttp2Failure(error, origin);
      expect(mapped.code).toBe(Code.Unavailable);
      expect(mapped.rawMessage).toBe(`call to http://127.0.0.1:1234 not sent: ${error.message}`);
      expect(isUnprocessedError(mapped)).toBe(true);
      expect((mapped.cause as Error).cause).toBe(error);
    }
  });

  it("maps a GOAWAY with an error code to UNAVAILABLE, not retried transparently", () => {
    const error = errorFromHttp2Failure(nodeError("ERR_HTTP2_SESSION_ERROR", "Session closed with error code 2"), origin);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe("connection to http://127.0.0.1:1234 lost: session closed with INTERNAL_ERROR (0x2)");
    expect(isUnprocessedError(error)).toBe(false);
  });

  it("maps a protocol violation by the server to INTERNAL", () => {
    const error = errorFromHttp2Failure(nodeError("ERR_HTTP2_ERROR", "Protocol error"), origin);
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("http/2 protocol error from http://127.0.0.1:1234: Protocol error");
  });

  it("maps our own invalid request headers to INTERNAL and our own abort to CANCELLED", () => {
    expect(errorFromHttp2Failure(nodeError("ERR_HTTP2_INVALID_HEADER_VALUE", 'Invalid value "x" for header "a"'), origin).code).toBe(
      Code.Internal,
    );
    expect(errorFromHttp2Failure(nodeError("ABORT_ERR", "The operation was aborted"), origin).code).toBe(Code.Canceled);
  });

  it("passes a ConnectError through, and makes a lost connection of nothing", () => {
    const original = new ConnectError("x", Code.NotFound);
    expect(errorFromHttp2Failure(original, origin)).toBe(original);
    expect(errorFromHttp2Failure(undefined, origin).code).toBe(Code.Unavailable);
    expect(errorFromHttp2Failure("a string", origin).code).toBe(Code.Internal);
    expect(errorFromHttp2Failure(new Error("strange"), origin).rawMessage).toBe("http/2 call to http://127.0.0.1:1234 failed: strange");
  });
});

describe("connectionLostError", () => {
  it("is UNAVAILABLE naming the origin and the cause", () => {
    expect(connectionLostError(origin).code).toBe(Code.Unavailable);
    expect(connectionLostError(origin).rawMessage).toBe("connection to http://127.0.0.1:1234 lost");
    const cause = new Error("socket closed");
    const error = connectionLostError(origin, cause);
    expect(error.rawMessage).toBe("connection to http://127.0.0.1:1234 lost: socket closed");
    expect(error.cause).toBe(cause);
  });
});

/** What Node reported for one call, and what our functions make of it. */
interface Observed {
  error: (Error & { code?: string }) | undefined;
  rstCode: number | undefined;
  /** Whether `stream.session` was still set at 'close'. */
  streamHadSession: boolean;
  sessionDestroyed: boolean;
  trailers: boolean;
  goawayCode: number | undefined;
  /** What a transport following the notes in http2-error.ts reports. */
  mapped: ConnectError;
}

describe("errors Node reports from a real HTTP/2 server", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  let before: OpenHandles;
  beforeEach(() => {
    before = countOpenHandles();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await waitForNoLeakedHandles(before);
  });

  async function listen(server: net.Server): Promise<string> {
    const sockets = new Set<net.Socket>();
    server.on("connection", (socket: net.Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { port } = server.address() as net.AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** An HTTP/2 server handing each stream to `onStream`, with access to the raw sockets. */
  async function startServer(onStream: (stream: http2.ServerHttp2Stream, sockets: net.Socket[]) => void): Promise<string> {
    const server = http2.createServer();
    const raw: net.Socket[] = [];
    server.on("connection", (socket: net.Socket) => raw.push(socket));
    server.on("session", (session) => session.on("error", () => {}));
    server.on("stream", (stream) => {
      stream.on("error", () => {});
      onStream(stream, raw);
    });
    return listen(server);
  }

  function connect(url: string, settings: http2.Settings = {}): Promise<http2.ClientHttp2Session> {
    const session = http2.connect(url, { settings });
    session.on("error", () => {});
    cleanups.push(() => {
      session.destroy();
    });
    return new Promise((resolve, reject) => {
      session.once("connect", () => resolve(session));
      session.once("error", reject);
    });
  }

  /** Makes one call, and maps its end the way http2-error.ts's notes say a transport should. */
  async function call(url: string, options: { keepSending?: boolean; settings?: http2.Settings } = {}): Promise<Observed> {
    const session = await connect(url, options.settings);
    let goawayCode: number | undefined;
    session.on("goaway", (code) => {
      goawayCode = code;
    });
    const stream = session.request({ ":method": "POST", ":path": "/x.v1.S/M", "content-type": "application/grpc", te: "trailers" });
    let error: Observed["error"];
    let trailers = false;
    stream.on("error", (e) => {
      error = e;
    });
    stream.on("trailers", () => {
      trailers = true;
    });
    stream.resume();
    if (options.keepSending === true) stream.write(Buffer.alloc(5));
    else stream.end(Buffer.alloc(5));
    let streamHadSession = false;
    await new Promise<void>((resolve) =>
      stream.on("close", () => {
        streamHadSession = stream.session !== undefined;
        resolve();
      }),
    );
    const sessionDestroyed = session.destroyed;
    const mapped =
      error !== undefined
        ? errorFromHttp2Failure(error, url)
        : sessionDestroyed
          ? connectionLostError(url)
          : errorFromRstCode(stream.rstCode ?? 0, url);
    return { error, rstCode: stream.rstCode, streamHadSession, sessionDestroyed, trailers, goawayCode, mapped };
  }

  it("reports a server's REFUSED_STREAM as a stream error that maps to a transparently retried UNAVAILABLE", async () => {
    const url = await startServer((stream) => stream.close(C.NGHTTP2_REFUSED_STREAM));
    const seen = await call(url);
    expect(seen.error?.code).toBe("ERR_HTTP2_STREAM_ERROR");
    expect(seen.error?.message).toBe("Stream closed with error code NGHTTP2_REFUSED_STREAM");
    expect(seen.rstCode).toBe(C.NGHTTP2_REFUSED_STREAM);
    expect(seen.mapped.code).toBe(Code.Unavailable);
    expect(isUnprocessedError(seen.mapped)).toBe(true);
    expect(isUnprocessedError(errorFromRstCode(seen.rstCode ?? -1, url))).toBe(true);
  });

  it("reports a server's ENHANCE_YOUR_CALM as a stream error that maps to RESOURCE_EXHAUSTED", async () => {
    const url = await startServer((stream) => stream.close(C.NGHTTP2_ENHANCE_YOUR_CALM));
    const seen = await call(url);
    expect(seen.error?.message).toBe("Stream closed with error code NGHTTP2_ENHANCE_YOUR_CALM");
    expect(seen.rstCode).toBe(C.NGHTTP2_ENHANCE_YOUR_CALM);
    expect(seen.mapped.code).toBe(Code.ResourceExhausted);
  });

  it("reports a server's CANCEL with no stream error, only rstCode 8 on a live session, which maps to CANCELLED", async () => {
    const url = await startServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      setTimeout(() => stream.close(C.NGHTTP2_CANCEL), 20);
    });
    const seen = await call(url, { keepSending: true });
    expect(seen).toMatchObject({ error: undefined, rstCode: C.NGHTTP2_CANCEL, sessionDestroyed: false, trailers: false });
    // The stream forgets its session even though the session is alive: a
    // transport must keep the session it called request() on.
    expect(seen.streamHadSession).toBe(false);
    expect(seen.mapped.code).toBe(Code.Canceled);
  });

  it("reports a server's NO_ERROR reset before trailers with no stream error, which maps to INTERNAL", async () => {
    const url = await startServer((stream) => stream.close(C.NGHTTP2_NO_ERROR));
    const seen = await call(url);
    expect(seen).toMatchObject({ error: undefined, rstCode: C.NGHTTP2_NO_ERROR, trailers: false });
    expect(seen.mapped.code).toBe(Code.Internal);
  });

  it("reports a server's session.destroy() mid-call as a made-up CANCEL on a destroyed session, which maps to UNAVAILABLE", async () => {
    const url = await startServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      setTimeout(() => stream.session?.destroy(), 20);
    });
    const seen = await call(url, { keepSending: true });
    expect(seen).toMatchObject({ error: undefined, rstCode: C.NGHTTP2_CANCEL, sessionDestroyed: true, goawayCode: 0 });
    expect(seen.mapped.code).toBe(Code.Unavailable);
  });

  it("reports a server closing the TCP connection (FIN) mid-call like a destroyed session: UNAVAILABLE, never CANCELLED", async () => {
    const url = await startServer((stream, sockets) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      setTimeout(() => {
        for (const socket of sockets) socket.end();
      }, 20);
    });
    const seen = await call(url);
    expect(seen).toMatchObject({ error: undefined, rstCode: C.NGHTTP2_CANCEL, sessionDestroyed: true });
    expect(seen.mapped.code).toBe(Code.Unavailable);
  });

  it("reports a TCP reset (RST) mid-call as ECONNRESET on the stream, which maps to UNAVAILABLE", async () => {
    const url = await startServer((stream, sockets) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      setTimeout(() => {
        for (const socket of sockets) socket.resetAndDestroy();
      }, 20);
    });
    const seen = await call(url);
    expect(seen.error?.code).toBe("ECONNRESET");
    expect(seen.rstCode).toBe(C.NGHTTP2_INTERNAL_ERROR);
    expect(seen.mapped.code).toBe(Code.Unavailable);
    expect(seen.mapped.rawMessage).toBe(`connection to ${url} lost: read ECONNRESET`);
  });

  it("reports a GOAWAY with an error code mid-call as ERR_HTTP2_SESSION_ERROR on the stream, which maps to UNAVAILABLE", async () => {
    const url = await startServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      setTimeout(() => stream.session?.goaway(C.NGHTTP2_INTERNAL_ERROR, stream.id ?? 0), 20);
    });
    const seen = await call(url);
    expect(seen.goawayCode).toBe(C.NGHTTP2_INTERNAL_ERROR);
    expect(seen.error?.code).toBe("ERR_HTTP2_SESSION_ERROR");
    expect(seen.mapped.code).toBe(Code.Unavailable);
    expect(seen.mapped.rawMessage).toBe(`connection to ${url} lost: session closed with INTERNAL_ERROR (0x2)`);
    expect(isUnprocessedError(seen.mapped)).toBe(false);
  });

  it("fails request() with ERR_HTTP2_GOAWAY_SESSION after a GOAWAY, which maps to a not-sent UNAVAILABLE", async () => {
    const url = await startServer((stream) => {
      stream.session?.goaway(C.NGHTTP2_NO_ERROR, stream.id ?? 0);
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.end();
    });
    const session = await connect(url);
    const goaway = new Promise((resolve) => session.once("goaway", resolve));
    session
      .request({ ":method": "POST", ":path": "/x" })
      .on("error", () => {})
      .resume()
      .end();
    await goaway;
    const thrown = await requestFailure(session);
    expect((thrown as { code?: string }).code).toBe("ERR_HTTP2_GOAWAY_SESSION");
    const mapped = errorFromHttp2Failure(thrown, url);
    expect(mapped.code).toBe(Code.Unavailable);
    expect(isUnprocessedError(mapped)).toBe(true);
  });

  it("fails request() with ERR_HTTP2_INVALID_SESSION on a destroyed session, which maps to a not-sent UNAVAILABLE", async () => {
    const url = await startServer((stream) => stream.close());
    const session = await connect(url);
    session.destroy();
    const thrown = await requestFailure(session);
    expect((thrown as { code?: string }).code).toBe("ERR_HTTP2_INVALID_SESSION");
    expect(isUnprocessedError(errorFromHttp2Failure(thrown, url))).toBe(true);
  });

  it("reports a PUSH_PROMISE to a client without push as ERR_HTTP2_ERROR on the stream, which maps to INTERNAL", async () => {
    const url = await listen(net.createServer((socket) => servePushPromise(socket)));
    const seen = await call(url, { settings: { enablePush: false } });
    expect(seen.error?.code).toBe("ERR_HTTP2_ERROR");
    expect(seen.error?.message).toBe("Protocol error");
    expect(seen.sessionDestroyed).toBe(true);
    expect(seen.mapped.code).toBe(Code.Internal);
    expect(seen.mapped.rawMessage).toBe(`http/2 protocol error from ${url}: Protocol error`);
  });
});

/**
 * What `request()` fails with on a session that cannot take streams: Node.js
 * 20 and 22 throw at once; Node.js 24 returns a stream and emits the same
 * error on it in the next tick (so a transport must listen before it yields).
 */
function requestFailure(session: http2.ClientHttp2Session): Promise<unknown> {
  let stream: http2.ClientHttp2Stream;
  try {
    stream = session.request({ ":method": "POST", ":path": "/x" });
  } catch (e) {
    return Promise.resolve(e);
  }
  return new Promise((resolve, reject) => {
    stream.once("error", resolve);
    stream.once("close", () => reject(new Error("expected request() to fail")));
  });
}

function frame(type: number, flags: number, streamId: number, payload: number[]): Buffer {
  const bytes = Buffer.alloc(9 + payload.length);
  bytes.writeUIntBE(payload.length, 0, 3);
  bytes[3] = type;
  bytes[4] = flags;
  bytes.writeUInt32BE(streamId, 5);
  Buffer.from(payload).copy(bytes, 9);
  return bytes;
}

/**
 * A hand-written HTTP/2 server side (RFC 9113 frames): empty SETTINGS, an ACK
 * of the client's, and a PUSH_PROMISE on stream 1 once the client's HEADERS
 * arrived, which a client that disabled push must treat as a protocol error.
 */
function servePushPromise(socket: net.Socket): void {
  socket.on("error", () => {});
  socket.write(frame(0x4, 0, 0, []));
  let received = Buffer.alloc(0);
  let pushed = false;
  const prefaceBytes = 24;
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    for (let at = prefaceBytes; !pushed && at + 9 <= received.length; at += 9 + received.readUIntBE(at, 3)) {
      const type = received[at + 3];
      const flags = received[at + 4] ?? 0;
      if (type === 0x4 && (flags & 0x1) === 0) socket.write(frame(0x4, 0x1, 0, []));
      if (type === 0x1) {
        pushed = true;
        // Promised stream 2; header block :method GET, :scheme http, :path /, :authority a (HPACK).
        socket.write(frame(0x5, 0x4, 1, [0, 0, 0, 2, 0x82, 0x86, 0x84, 0x41, 1, 0x61]));
      }
    }
  });
}
