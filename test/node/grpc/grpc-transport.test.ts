import { once } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, createClient, createContextValues, type Interceptor } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../../gen/grpc/health/v1/health_pb.js";
import { CanceledError, DeadlineExceededError, UnavailableError } from "../../../src/errors/index.js";
import { retryableCallKey } from "../../../src/interceptors/retryable-call.js";
import { createTransport } from "../../../src/node/create-transport.js";
import { delay } from "../../helpers/connection-load.js";

/**
 * A raw gRPC server on loopback whose every stream goes through `handle`,
 * so a test controls each byte the client sees.
 */
interface RawServer {
  url: string;
  /** Streams the server saw, in order, with their request headers. */
  streams: http2.IncomingHttpHeaders[];
  /** Streams the client reset, by stream number in `streams`. */
  resets: number[];
  close(): Promise<void>;
}

const servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, index: number) => void;

async function rawServer(handle: Handler): Promise<RawServer> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  const streams: http2.IncomingHttpHeaders[] = [];
  const resets: number[] = [];
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    const index = streams.push(headers) - 1;
    stream.on("error", () => {});
    stream.on("close", () => {
      if (stream.rstCode === http2.constants.NGHTTP2_CANCEL) resets.push(index);
    });
    handle(stream, headers, index);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const running: RawServer = {
    url: `http://127.0.0.1:${port}`,
    streams,
    resets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(running);
  return running;
}

function frame(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + bytes.length);
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
}

const serving = frame(
  toBinary(HealthCheckResponseSchema, create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING })),
);

/** Answers a Health/Check with SERVING, as a gRPC server does. */
function answer(stream: http2.ServerHttp2Stream): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(serving);
}

/** Sends one SERVING message every `everyMs` until the client goes away. */
function streamForever(stream: http2.ServerHttp2Stream, everyMs: number): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc" });
  const timer = setInterval(() => {
    if (!stream.closed) stream.write(serving);
  }, everyMs);
  stream.on("close", () => clearInterval(timer));
}

async function* oneRequest() {
  yield create(HealthCheckRequestSchema, {});
}

describe("our gRPC transport on Node", () => {
  it("makes a unary call without building an AbortController, a Headers or an Error", async () => {
    const server = await rawServer((stream) => answer(stream));
    const transport = createTransport({ baseUrl: server.url, retry: false });
    const health = createClient(Health, transport);
    await health.check({}); // the connection is open from here on
    const counts = { controllers: 0, headers: 0, errors: 0 };
    const { AbortController: RealController, Headers: RealHeaders, Error: RealError } = globalThis;
    globalThis.AbortController = class extends RealController {
      constructor() {
        super();
        counts.controllers++;
      }
    };
    globalThis.Headers = class extends RealHeaders {
      constructor(init?: HeadersInit) {
        super(init);
        counts.headers++;
      }
    };
    const errorCounter = new Proxy(RealError, {
      construct(target, args) {
        counts.errors++;
        return Reflect.construct(target, args);
      },
    });
    globalThis.Error = errorCounter;
    try {
      for (let i = 0; i < 20; i++) await health.check({});
    } finally {
      globalThis.AbortController = RealController;
      globalThis.Headers = RealHeaders;
      globalThis.Error = RealError;
    }
    expect(counts).toEqual({ controllers: 0, headers: 0, errors: 0 });
    await transport.close();
  });

  it("sends the deadline, the correlation id and the token, and your interceptors see them per attempt", async () => {
    const server = await rawServer((stream, _headers, index) => {
      if (index === 0) {
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "grpc-status": "14", "grpc-message": "try again" },
          { endStream: true },
        );
        return;
      }
      answer(stream);
    });
    const seen: (string | null)[][] = [];
    const spy: Interceptor = (next) => async (req) => {
      seen.push([req.header.get("authorization"), req.header.get("grpc-previous-rpc-attempts"), req.header.get("x-correlation-id")]);
      return next(req);
    };
    const transport = createTransport({ baseUrl: server.url, auth: "s3cret", interceptors: [spy], retry: { initialBackoffMs: 1 } });
    // Health/Check declares no idempotency level: this call opts in.
    await createClient(Health, transport).check({}, { timeoutMs: 2_000, contextValues: createContextValues().set(retryableCallKey, true) });
    expect(seen).toHaveLength(2);
    expect(seen[0]![0]).toBe("Bearer s3cret");
    expect(seen[1]![1]).toBe("1");
    // One correlation id for every attempt of the call.
    expect(seen[0]![2]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[1]![2]).toBe(seen[0]![2]);
    const [first, second] = server.streams;
    expect(first!["grpc-timeout"]).toMatch(/^\d+m$/);
    expect(Number.parseInt(String(second!["grpc-timeout"]), 10)).toBeLessThanOrEqual(Number.parseInt(String(first!["grpc-timeout"]), 10));
    expect(second!.authorization).toBe("Bearer s3cret");
    await transport.close();
  });

  it("tells the server only the time left after waiting for a token", async () => {
    const server = await rawServer((stream) => answer(stream));
    const transport = createTransport({
      baseUrl: server.url,
      retry: false,
      auth: () => new Promise<string>((resolve) => setTimeout(() => resolve("slow"), 200)),
    });
    await createClient(Health, transport).check({}, { timeoutMs: 1_000 });
    // The token took 200 ms of the call's 1000: the header says at most 800 (+1 for rounding up).
    expect(Number.parseInt(String(server.streams[0]!["grpc-timeout"]), 10)).toBeLessThanOrEqual(801);
    await transport.close();
  });

  it("retries a stream the server refused on another attempt, for any method, with retries off", async () => {
    const server = await rawServer((stream, _headers, index) => {
      if (index < 2) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      else answer(stream);
    });
    const transport = createTransport({ baseUrl: server.url, retry: false });
    const { status } = await createClient(Health, transport).check({});
    expect(status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(server.streams).toHaveLength(3);
    await transport.close();
  });

  it("fails with UNAVAILABLE in bounded time when the server refuses every stream", async () => {
    const server = await rawServer((stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM));
    const transport = createTransport({ baseUrl: server.url, retry: false });
    const started = performance.now();
    const error = await createClient(Health, transport)
      .check({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(server.streams.length).toBeGreaterThan(1);
    expect(server.streams.length).toBeLessThanOrEqual(10);
    await transport.close();
  });

  // connect's createClient hides return() from its iterables, so through a
  // client only an abort signal reaches the transport (the user client's
  // watchUsers aborts when its reader stops); this is the Transport contract.
  it("cancels the stream and releases the call at once when a for await loop over its messages is left early", async () => {
    const server = await rawServer((stream) => streamForever(stream, 5));
    const transport = createTransport({ baseUrl: server.url });
    const res = await transport.stream(Health.method.watch, undefined, undefined, undefined, oneRequest(), undefined);
    let received = 0;
    for await (const response of res.message) {
      expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      if (++received === 3) break;
    }
    expect(transport.activeCalls()).toBe(0);
    await expect.poll(() => server.resets).toEqual([0]);
    const started = performance.now();
    await transport.close({ graceMs: 5_000 });
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("ends a call at its deadline with DeadlineExceeded and resets the stream", async () => {
    const server = await rawServer(() => {}); // never answers
    const transport = createTransport({ baseUrl: server.url });
    const started = performance.now();
    const error = await createClient(Health, transport)
      .check({}, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(330 + 50);
    await expect.poll(() => server.resets).toEqual([0]);
    expect(transport.activeCalls()).toBe(0);
    await transport.close();
  });

  it("ends a call the caller aborts with Canceled, at once, and resets the stream", async () => {
    const server = await rawServer(() => {});
    const transport = createTransport({ baseUrl: server.url });
    const controller = new AbortController();
    const pending = createClient(Health, transport)
      .check({}, { signal: controller.signal })
      .catch((e: unknown) => e);
    await expect.poll(() => server.streams.length).toBe(1);
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(CanceledError);
    expect((error as CanceledError).code).toBe(Code.Canceled);
    await expect.poll(() => server.resets).toEqual([0]);
    await transport.close();
  });

  it("lets close() cancel a watch still open after the grace period", async () => {
    const server = await rawServer((stream) => streamForever(stream, 20));
    const transport = createTransport({ baseUrl: server.url });
    const iterator = createClient(Health, transport).watch({})[Symbol.asyncIterator]();
    await iterator.next();
    expect(transport.activeCalls()).toBe(1);
    await transport.close({ graceMs: 50 });
    expect(transport.activeCalls()).toBe(0);
    const error = await (async () => {
      for (;;) await iterator.next();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanceledError);
    expect(transport.state()).toBe("closed");
  });

  it("reads the request message the server got exactly as sent, once per attempt", async () => {
    const bodies: Buffer[] = [];
    const server = await rawServer((stream) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        bodies.push(Buffer.concat(chunks));
        answer(stream);
      });
    });
    const transport = createTransport({ baseUrl: server.url });
    await createClient(Health, transport).check({ service: "user.v1.UserService" });
    expect(bodies).toHaveLength(1);
    expect(fromBinary(HealthCheckRequestSchema, bodies[0]!.subarray(5)).service).toBe("user.v1.UserService");
    await transport.close();
  });
  it("advertises flow-control windows of 1 MiB by default (HTTP/2's is 64 KiB), or flowControlWindowBytes, per stream and for the connection", async () => {
    let windows: { stream: number | undefined; connection: number | undefined } | undefined;
    const server = await rawServer((stream) => {
      const session = stream.session!;
      windows = { stream: session.remoteSettings.initialWindowSize, connection: session.state.remoteWindowSize };
      answer(stream);
    });
    const transport = createTransport({ baseUrl: server.url });
    await createClient(Health, transport).check({});
    expect(windows).toEqual({ stream: 1 << 20, connection: 1 << 20 });
    await transport.close();
    const larger = createTransport({ baseUrl: server.url, flowControlWindowBytes: 4 << 20 });
    await createClient(Health, larger).check({});
    expect(windows).toEqual({ stream: 4 << 20, connection: 4 << 20 });
    await larger.close();
  });

  it("holds a server back within its queue and one flow-control window while the reader does not read, and loses nothing after", async () => {
    // 256 messages of 64 KiB (SERVING and an unknown 64 KiB field): 16 MiB
    // the server writes as fast as flow control lets it. A write's callback
    // runs once nghttp2 has taken its bytes, which a full window prevents.
    const filler = Buffer.alloc(64 * 1024, 1);
    const big = frame(Buffer.concat([Buffer.from([8, 1, 122, 0x80, 0x80, 0x04]), filler]));
    let flushed = 0;
    const server = await rawServer(async (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      for (let i = 0; i < 256 && !stream.destroyed; i++) {
        if (!stream.write(big, () => flushed++)) await once(stream, "drain");
      }
      stream.end();
    });
    const transport = createTransport({ baseUrl: server.url });
    const messages = createClient(Health, transport).watch({})[Symbol.asyncIterator]();
    expect((await messages.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await delay(300);
    // Our queue (16 messages), Node's readable buffer and the 1 MiB window:
    // about 2 MiB of the 16, not all of it.
    expect(flushed).toBeGreaterThan(1);
    expect(flushed).toBeLessThan(48);
    let received = 1;
    while (!(await messages.next()).done) received++;
    expect({ received, flushed }).toEqual({ received: 256, flushed: 256 });
    await transport.close();
  });
});
