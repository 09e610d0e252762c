import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { CreateUserRequestSchema, CreateUserResponseSchema, UserService } from "../../gen/user/v1/user_service_pb.js";
import { createRetryInterceptor } from "../../src/interceptors/retry-interceptor.js";

/** What the test server does with a stream. */
type StreamAction = "refuse" | "goaway-then-create" | "create";

/**
 * A hand-written gRPC server on 127.0.0.1, port 0, so the test controls the
 * HTTP/2 frames. `decide(n)` picks what happens to the n-th stream; the log
 * says what the server application did with each one.
 */
async function startServer(decide: (attempt: number) => StreamAction) {
  const log: string[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const goawayLastStreamId = new WeakMap<http2.Http2Session, number>();
  const server = http2.createServer();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  let attempts = 0;
  server.on("stream", (stream, headers) => {
    const attempt = ++attempts;
    const previous = headers["grpc-previous-rpc-attempts"] ?? "-";
    // A stream the client resets is an error on this side too.
    stream.on("error", () => undefined);
    const session = stream.session;
    const streamId = stream.id ?? 0;
    const lastStreamId = session && goawayLastStreamId.get(session);
    if (lastStreamId !== undefined && streamId > lastStreamId) {
      // GOAWAY promised not to process it; the client sees REFUSED_STREAM.
      log.push(`attempt ${attempt}: dropped, above GOAWAY`);
      return;
    }
    const action = decide(attempt);
    if (action === "refuse") {
      log.push(`attempt ${attempt}: refused (previous attempts ${previous})`);
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (action === "goaway-then-create" && session !== undefined) {
      goawayLastStreamId.set(session, streamId);
      session.goaway(http2.constants.NGHTTP2_NO_ERROR, streamId);
    }
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      // One length-prefixed message: flags (1 byte), length (4 bytes), body.
      const request = fromBinary(CreateUserRequestSchema, Buffer.concat(chunks).subarray(5));
      log.push(`attempt ${attempt}: created ${request.email} (previous attempts ${previous})`);
      const message = toBinary(
        CreateUserResponseSchema,
        create(CreateUserResponseSchema, {
          user: { id: "u-1", email: request.email, name: request.name },
        }),
      );
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    await Promise.all(
      [...sessions].map(
        (session) =>
          new Promise<void>((resolve) => {
            session.once("close", resolve);
            session.destroy();
          }),
      ),
    );
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Every connection the test opened is gone: nothing leaks into the next.
    expect(sessions.size).toBe(0);
  };
  return { baseUrl: `http://127.0.0.1:${port}`, log, close };
}

describe("retry interceptor over real HTTP/2", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("transparently retries a CreateUser stream refused with REFUSED_STREAM", async () => {
    const server = await startServer((attempt) => (attempt === 1 ? "refuse" : "create"));
    close = server.close;
    const retries: string[] = [];
    const transport = createGrpcTransport({
      baseUrl: server.baseUrl,
      interceptors: [
        createRetryInterceptor({
          onRetry: (e) => retries.push(`attempt ${e.attempt} in ${e.delayMs}ms, transparent ${e.transparent}`),
        }),
      ],
    });
    const client = createClient(UserService, transport);
    const res = await client.createUser({ email: "ada@example.com", name: "Ada" }, { timeoutMs: 5000 });
    expect(res.user?.email).toBe("ada@example.com");
    expect(retries).toEqual(["attempt 2 in 0ms, transparent true"]);
    expect(server.log).toEqual(["attempt 1: refused (previous attempts -)", "attempt 2: created ada@example.com (previous attempts 1)"]);
  });

  it("transparently retries a CreateUser stream above a GOAWAY's last-stream-id", async () => {
    // Both calls open streams on one connection; while handling the first,
    // the server sends a graceful GOAWAY naming only that stream.
    const server = await startServer((attempt) => (attempt === 1 ? "goaway-then-create" : "create"));
    close = server.close;
    const retries: string[] = [];
    const transport = createGrpcTransport({
      baseUrl: server.baseUrl,
      interceptors: [
        createRetryInterceptor({
          onRetry: (e) => retries.push(`attempt ${e.attempt}, transparent ${e.transparent}`),
        }),
      ],
    });
    const client = createClient(UserService, transport);
    const results = await Promise.all([
      client.createUser({ email: "a@example.com" }, { timeoutMs: 5000 }),
      client.createUser({ email: "b@example.com" }, { timeoutMs: 5000 }),
    ]);
    expect(results.map((r) => r.user?.email)).toEqual(["a@example.com", "b@example.com"]);
    expect(retries).toEqual(["attempt 2, transparent true"]);
    // Each user is created exactly once: the refused stream never ran. (The
    // log is sorted: a creation is logged once its request body has arrived.)
    expect(server.log.sort()).toEqual([
      "attempt 1: created a@example.com (previous attempts -)",
      "attempt 2: dropped, above GOAWAY",
      "attempt 3: created b@example.com (previous attempts 1)",
    ]);
  });
});
