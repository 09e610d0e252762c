import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createContextValues } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from "../../../gen/grpc/health/v1/health_pb.js";
import { retryableCallKey } from "../../../src/interceptors/retryable-call.js";
import { createTransport, type NodeTransport } from "../../../src/node/create-transport.js";
import type { TransportOptions } from "../../../src/transport/transport-options.js";
import {
  encodeHeaderBlock,
  envelope,
  FrameType,
  type HostilePeer,
  type PeerConnection,
  startHostilePeer,
} from "../../helpers/hostile-peer.js";

/**
 * Issue 13: every failure of a misbehaving server, met through our own
 * hostile HTTP/2 peer (test/helpers/hostile-peer.ts), ends with the code the
 * gRPC spec gives (statuscodes.md, http-grpc-status-mapping.md,
 * PROTOCOL-HTTP2.md), within the deadline + 10%, with nothing unhandled, and
 * the next call on the same transport succeeds against a good server.
 */

const timeoutMs = 1_000;
const serving = toBinary(
  HealthCheckResponseSchema,
  create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING }),
);

/** What a good gRPC server answers to Health/Check. */
function answerOk(c: PeerConnection, id: number): void {
  c.respond(id);
  c.message(id, serving);
  c.trailers(id, [["grpc-status", "0"]]);
}

/** What a good gRPC-Web server answers: the message, then the trailers as a frame with flag 0x80. */
function answerOkGrpcWeb(c: PeerConnection, id: number): void {
  c.respond(id, 200, "application/grpc-web+proto");
  c.data(id, Buffer.concat([envelope(serving), envelope(Buffer.from("grpc-status: 0\r\n"), 0x80)]), true);
}

type Hostile = (c: PeerConnection, id: number) => void;

interface Case {
  name: string;
  /** What the peer does with the first `hostileRequests` requests (default 1); later ones are answered well. */
  hostile: Hostile;
  hostileRequests?: number;
  /** The code the call must end with; undefined: it must succeed. */
  code: Code | undefined;
  /** A pattern the error message must match. */
  message?: RegExp;
  /** Marks the call idempotent, so the retry policy may retry it. */
  idempotent?: boolean;
  options?: Partial<TransportOptions>;
  /** How many requests the peer must have seen for the first call (default 1). */
  requests?: number;
}

const after = (ms: number, fn: () => void) => setTimeout(fn, ms);
const headersThen =
  (then: Hostile): Hostile =>
  (c, id) => {
    c.respond(id);
    after(20, () => then(c, id));
  };

/** PROTOCOL-HTTP2.md "Errors": RST_STREAM codes from the server, before any response. */
const rstCases: Case[] = [
  ["NO_ERROR", 0x0, Code.Internal],
  ["PROTOCOL_ERROR", 0x1, Code.Internal],
  ["INTERNAL_ERROR", 0x2, Code.Internal],
  ["FLOW_CONTROL_ERROR", 0x3, Code.Internal],
  ["SETTINGS_TIMEOUT", 0x4, Code.Internal],
  ["STREAM_CLOSED", 0x5, Code.Internal],
  ["FRAME_SIZE_ERROR", 0x6, Code.Internal],
  ["CANCEL", 0x8, Code.Canceled],
  ["COMPRESSION_ERROR", 0x9, Code.Internal],
  ["CONNECT_ERROR", 0xa, Code.Internal],
  ["ENHANCE_YOUR_CALM", 0xb, Code.ResourceExhausted],
  ["INADEQUATE_SECURITY", 0xc, Code.PermissionDenied],
  ["HTTP_1_1_REQUIRED", 0xd, Code.Internal],
  ["unknown code 0x42", 0x42, Code.Internal],
].map(([label, rst, code]) => ({
  name: `RST_STREAM(${String(label)}) is ${Code[code as Code]}`,
  hostile: (c, id) => c.rst(id, rst as number),
  code: code as Code,
}));

/** http-grpc-status-mapping.md: a response without grpc-status takes its code from the HTTP status. */
const httpCases: Case[] = [
  [400, Code.Internal],
  [401, Code.Unauthenticated],
  [403, Code.PermissionDenied],
  [404, Code.Unimplemented],
  [429, Code.Unavailable],
  [502, Code.Unavailable],
  [503, Code.Unavailable],
  [504, Code.Unavailable],
  [500, Code.Unknown],
].map(([status, code]) => ({
  name: `HTTP ${status} without grpc-status is ${Code[code as Code]}`,
  hostile: (c, id) =>
    c.headers(
      id,
      [
        [":status", String(status)],
        ["content-type", "text/plain"],
      ],
      true,
    ),
  code: code as Code,
}));

const gzipBomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));

const cases: Case[] = [
  ...rstCases,
  {
    name: "RST_STREAM(REFUSED_STREAM) is retried transparently and succeeds",
    hostile: (c, id) => c.rst(id, 0x7),
    code: undefined,
    requests: 2,
    options: { retry: false },
  },
  ...httpCases,
  {
    name: "HTTP 503 carrying grpc-status 5 is NOT_FOUND",
    hostile: (c, id) =>
      c.headers(
        id,
        [
          [":status", "503"],
          ["content-type", "application/grpc"],
          ["grpc-status", "5"],
          ["grpc-message", "no such user"],
        ],
        true,
      ),
    code: Code.NotFound,
    message: /no such user/,
  },
  {
    name: "an HTML page with 200 is UNKNOWN",
    hostile: (c, id) => {
      c.respond(id, 200, "text/html");
      c.data(id, Buffer.from("<html><body>It works</body></html>"), true);
    },
    code: Code.Unknown,
  },
  ...["99", "abc", "", "-1", "1.0"].map(
    (status): Case => ({
      name: `grpc-status "${status}" is UNKNOWN`,
      hostile: (c, id) => {
        c.respond(id);
        c.trailers(id, [["grpc-status", status]]);
      },
      code: Code.Unknown,
    }),
  ),
  {
    name: "a grpc-message with a bad %-escape keeps the code and the raw text",
    hostile: (c, id) =>
      c.headers(
        id,
        [
          [":status", "200"],
          ["content-type", "application/grpc"],
          ["grpc-status", "5"],
          ["grpc-message", "user %zz missing"],
        ],
        true,
      ),
    code: Code.NotFound,
    message: /user %zz missing/,
  },
  {
    name: "unparsable grpc-status-details-bin keeps the code and message",
    hostile: (c, id) =>
      c.headers(
        id,
        [
          [":status", "200"],
          ["content-type", "application/grpc"],
          ["grpc-status", "5"],
          ["grpc-message", "gone"],
          ["grpc-status-details-bin", "////"],
        ],
        true,
      ),
    code: Code.NotFound,
    message: /gone/,
  },
  {
    name: "a truncated message is INTERNAL",
    hostile: (c, id) => {
      c.respond(id);
      c.data(id, Buffer.concat([envelope(serving).subarray(0, 4)]));
      c.trailers(id, [["grpc-status", "0"]]);
    },
    code: Code.Internal,
    message: /truncated/,
  },
  {
    name: "RST_STREAM(NO_ERROR) in the middle of a message is INTERNAL",
    hostile: (c, id) => {
      c.respond(id);
      c.data(id, Buffer.from([0, 0, 0, 0, 9, 1, 2]));
      after(20, () => c.rst(id, 0));
    },
    code: Code.Internal,
  },
  {
    name: "bad gzip is INTERNAL",
    hostile: (c, id) => {
      c.respond(id, 200, "application/grpc", [["grpc-encoding", "gzip"]]);
      c.message(id, Buffer.from("this is not gzip at all"), 1);
      c.trailers(id, [["grpc-status", "0"]]);
    },
    code: Code.Internal,
    message: /gzip/,
  },
  {
    name: "a decompression bomb is RESOURCE_EXHAUSTED and fetched once, though idempotent and retryable",
    hostile: (c, id) => {
      c.respond(id, 200, "application/grpc", [["grpc-encoding", "gzip"]]);
      c.message(id, gzipBomb, 1);
      c.trailers(id, [["grpc-status", "0"]]);
    },
    hostileRequests: Infinity,
    code: Code.ResourceExhausted,
    idempotent: true,
    options: { readMaxBytes: 1024 * 1024, retry: { initialBackoffMs: 1, maxBackoffMs: 1 } },
  },
  {
    name: "a 4 GiB length prefix is RESOURCE_EXHAUSTED and fetched once, though idempotent and retryable",
    hostile: (c, id) => {
      c.respond(id);
      c.data(id, Buffer.from([0, 0xff, 0xff, 0xff, 0xff]));
    },
    hostileRequests: Infinity,
    code: Code.ResourceExhausted,
    idempotent: true,
    options: { retry: { initialBackoffMs: 1, maxBackoffMs: 1 } },
  },
  {
    name: "a message over readMaxBytes is RESOURCE_EXHAUSTED and fetched once, though idempotent and retryable",
    hostile: (c, id) => {
      c.respond(id);
      c.message(id, Buffer.alloc(2048));
      c.trailers(id, [["grpc-status", "0"]]);
    },
    hostileRequests: Infinity,
    code: Code.ResourceExhausted,
    idempotent: true,
    options: { readMaxBytes: 1024, retry: { initialBackoffMs: 1, maxBackoffMs: 1 } },
  },
  {
    name: "a server's RESOURCE_EXHAUSTED is still retried for an idempotent call",
    hostile: (c, id) =>
      c.headers(
        id,
        [
          [":status", "200"],
          ["content-type", "application/grpc"],
          ["grpc-status", "8"],
        ],
        true,
      ),
    code: undefined,
    idempotent: true,
    requests: 2,
    options: { retry: { initialBackoffMs: 1, maxBackoffMs: 1 } },
  },
  {
    name: "a GOAWAY with an error code mid-call is UNAVAILABLE",
    hostile: headersThen((c, id) => c.goaway(id, 0x2, "boom")),
    code: Code.Unavailable,
  },
  {
    name: "a FIN mid-call is UNAVAILABLE",
    hostile: headersThen((c) => c.end()),
    code: Code.Unavailable,
  },
  {
    name: "a FIN mid-call is retried for an idempotent method and succeeds",
    hostile: headersThen((c) => c.end()),
    code: undefined,
    idempotent: true,
    requests: 2,
    options: { retry: { initialBackoffMs: 1, maxBackoffMs: 1 } },
  },
  {
    name: "a TCP reset mid-call is UNAVAILABLE",
    hostile: headersThen((c) => c.reset()),
    code: Code.Unavailable,
  },
  {
    // Node.js resets the stream itself (over maxHeaderListPairs, 128), as it would for the server's ENHANCE_YOUR_CALM.
    name: "a header block of 200 fields is RESOURCE_EXHAUSTED",
    hostile: (c, id) =>
      c.respond(
        id,
        200,
        "application/grpc",
        Array.from({ length: 200 }, (_, i) => [`x-field-${i}`, "a"] as const),
      ),
    code: Code.ResourceExhausted,
  },
  {
    name: "a header block of 2 MB in CONTINUATION frames is INTERNAL",
    // Node.js aborts the process on this unless the native session outlives
    // the stream (src/node/connection/native-session-guard.ts; under GC
    // pressure: test/node/connection/native-session-guard.test.ts).
    hostile: (c, id) => {
      const block = encodeHeaderBlock([
        [":status", "200"],
        ["content-type", "application/grpc"],
        ...Array.from({ length: 100 }, (_, i) => [`x-big-${i}`, "a".repeat(20_000)] as const),
      ]);
      const size = 10_000;
      c.frame(FrameType.HEADERS, 0, id, block.subarray(0, size));
      for (let at = size; at < block.length; at += size)
        c.frame(FrameType.CONTINUATION, at + size >= block.length ? 0x4 : 0, id, block.subarray(at, at + size));
    },
    code: Code.Internal,
  },
  {
    name: "a PUSH_PROMISE crashes nothing and is INTERNAL",
    hostile: (c, id) =>
      c.pushPromise(id, 2, [
        [":method", "GET"],
        [":scheme", "http"],
        [":path", "/"],
        [":authority", "a"],
      ]),
    code: Code.Internal,
  },
];

/** Issue 13 item 3: frames after which nghttp2 ends the session and Node.js reports nothing. */
const zombieCases: Case[] = [
  {
    name: "bad HPACK",
    hostile: (c, id) => c.frame(FrameType.HEADERS, 0x4, id, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])),
    code: Code.Unavailable,
  },
  {
    name: "DATA before HEADERS",
    hostile: (c, id) => c.frame(FrameType.DATA, 0, id, envelope(serving)),
    code: Code.Unavailable,
  },
  {
    name: "a frame over the frame size",
    hostile: (c, id) => c.frame(FrameType.DATA, 0, id, Buffer.alloc(20_000)),
    code: Code.Unavailable,
  },
];

const peers: HostilePeer[] = [];
const transports: NodeTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close({ graceMs: 0 })));
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

/** Collects what would otherwise go unnoticed: uncaught exceptions, unhandled rejections, warnings. */
function watchUnhandled(): { stop(): string[] } {
  const seen: string[] = [];
  const onError = (e: unknown) => seen.push(`uncaught: ${String(e)}`);
  const onRejection = (e: unknown) => seen.push(`unhandled rejection: ${String(e)}`);
  const onWarning = (w: Error) => seen.push(`warning: ${w.name} ${w.message}`);
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onRejection);
  process.on("warning", onWarning);
  return {
    stop() {
      process.off("uncaughtException", onError);
      process.off("unhandledRejection", onRejection);
      process.off("warning", onWarning);
      return seen;
    },
  };
}

async function runCase(c: Case, protocol: "grpc" | "grpc-web" = "grpc", good: Hostile = answerOk) {
  const hostileRequests = c.hostileRequests ?? 1;
  let hostileLeft = hostileRequests;
  const peer = await startHostilePeer((conn, id) => {
    if (hostileLeft > 0) {
      hostileLeft--;
      c.hostile(conn, id);
    } else {
      good(conn, id);
    }
  });
  peers.push(peer);
  const transport = createTransport({
    baseUrl: peer.url,
    protocol,
    ...(protocol === "grpc-web" && { httpVersion: "2" as const }),
    ...c.options,
  } as TransportOptions);
  transports.push(transport);
  const client = createClient(Health, transport);
  const contextValues = () => (c.idempotent === true ? createContextValues().set(retryableCallKey, true) : createContextValues());
  const unhandled = watchUnhandled();
  const started = performance.now();
  let error: ConnectError | undefined;
  try {
    await client.check({}, { timeoutMs, contextValues: contextValues() });
  } catch (e) {
    error = ConnectError.from(e);
  }
  const elapsedMs = performance.now() - started;
  const requests = peer.requests;
  // The next call on the same transport, against a good server.
  hostileLeft = 0;
  const nextStarted = performance.now();
  const next = await client.check({}, { timeoutMs, contextValues: contextValues() }).then(
    (r) => r.status,
    (e: unknown) => ConnectError.from(e),
  );
  const nextMs = performance.now() - nextStarted;
  // Give late events (a stray 'error', a rejection) a turn to show up.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { error, elapsedMs, requests, next, nextMs, unhandled: unhandled.stop() };
}

describe("our gRPC transport against a hostile HTTP/2 peer", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCase(c);
      if (c.code === undefined) expect(r.error).toBeUndefined();
      else
        expect({ code: r.error === undefined ? "OK" : Code[r.error.code], message: r.error?.rawMessage }).toMatchObject({
          code: Code[c.code],
          ...(c.message && { message: expect.stringMatching(c.message) }),
        });
      expect(r.elapsedMs).toBeLessThan(timeoutMs * 1.1);
      expect(r.requests).toBe(c.requests ?? 1);
      expect(r.unhandled).toEqual([]);
      expect(r.next).toBe(HealthCheckResponse_ServingStatus.SERVING);
    });
  }

  describe("finds a connection nghttp2 ended without telling Node.js, fails its call and uses a fresh one", () => {
    for (const c of zombieCases) {
      it(`after ${c.name}`, async () => {
        const r = await runCase(c);
        // Node.js 20 reports nothing and our dead-session watch gives UNAVAILABLE; Node.js 22.23 reports
        // the protocol error itself (ERR_HTTP2_ERROR), INTERNAL. Both are what issue 13 item 3 asks.
        expect(["Unavailable", "Internal"]).toContain(r.error?.code === undefined ? "OK" : Code[r.error.code]);
        expect(r.elapsedMs).toBeLessThan(timeoutMs * 0.9);
        expect(r.unhandled).toEqual([]);
        expect(r.next).toBe(HealthCheckResponse_ServingStatus.SERVING);
        expect(r.nextMs).toBeLessThan(timeoutMs / 2);
      });
    }
  });
});

describe("a call made while the connection is silently dead", () => {
  it("is never sent there: it goes to a fresh connection at once, though not idempotent", async () => {
    let first = true;
    const peer = await startHostilePeer((conn, id) => {
      if (first) {
        first = false;
        conn.frame(FrameType.DATA, 0, id, envelope(serving));
      } else {
        answerOk(conn, id);
      }
    });
    peers.push(peer);
    const transport = createTransport({ baseUrl: peer.url, retry: false });
    transports.push(transport);
    const client = createClient(Health, transport);
    const unhandled = watchUnhandled();
    const a = client.check({}, { timeoutMs }).then(
      () => "OK",
      (e: unknown) => Code[ConnectError.from(e).code],
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = performance.now();
    const b = await client.check({}, { timeoutMs });
    expect(performance.now() - started).toBeLessThan(timeoutMs / 2);
    expect(b.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(["Unavailable", "Internal"]).toContain(await a);
    expect(peer.connections).toBe(2);
    expect(unhandled.stop()).toEqual([]);
  });
});

describe("gRPC-Web over HTTP/2 against a hostile peer", () => {
  it("an HTML page with 200 is UNKNOWN naming the content type, not a message parse error", async () => {
    const r = await runCase(
      {
        name: "html",
        hostile: (c, id) => {
          c.respond(id, 200, "text/html; charset=utf-8");
          c.data(id, Buffer.from("<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>"), true);
        },
        code: Code.Unknown,
      },
      "grpc-web",
      answerOkGrpcWeb,
    );
    expect(r.error?.code).toBe(Code.Unknown);
    expect(r.error?.rawMessage).toMatch(/text\/html.*not a gRPC-Web response/);
    expect(r.elapsedMs).toBeLessThan(timeoutMs * 1.1);
    expect(r.unhandled).toEqual([]);
    expect(r.next).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
