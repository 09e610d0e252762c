import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { PATHS, parseWatchUserId, sizeOfUserId } from "../protocol/bench-messages.js";
import { createEnvelopeReader } from "../protocol/grpc-envelope.js";
import { readFirstStringField } from "../protocol/proto-writer.js";
import { createPreEncodedResponses } from "./pre-encoded-responses.js";

/**
 * Above the 10,000 streams of the open-streams scenario (Node's default is
 * unlimited, but say it: every client honours what the server announces).
 */
export const BENCH_MAX_CONCURRENT_STREAMS = 20_000;

/** Options for {@link startBenchServer}. */
export interface BenchServerOptions {
  /** Port to listen on; 0 picks a free one. Defaults to 0. */
  port?: number;
  /** Address to listen on. Defaults to "127.0.0.1". */
  host?: string;
  /**
   * Sees the headers of every request, for tests that check what a stack
   * sends (test/bench/stacks/). Defaults to none.
   */
  onRequestHeaders?: (headers: http2.IncomingHttpHeaders) => void;
}

/** A running bench server. */
export interface BenchServer {
  readonly port: number;
  /** "http://127.0.0.1:<port>". */
  readonly url: string;
  /** Streams in flight are destroyed, then the listener closes. */
  close(): Promise<void>;
}

type Handler = (stream: http2.ServerHttp2Stream) => void;

const responseHeaders = { ":status": 200, "content-type": "application/grpc" } as const;

/**
 * A deliberately cheap gRPC server for the benchmark: raw `node:http2`,
 * pre-encoded responses, no protobuf decoding (the request's first string
 * field says what to answer). It answers GetUser (size by user id),
 * WatchUsers ("stream:N" sends N events and ends; "hold" sends one and keeps
 * the stream open), BulkCreateUsers (counts the requests), SyncUsers (one
 * response per request) and the bench's own control call ReleaseHeld, which
 * ends every held stream normally. Every response ends with trailers
 * `grpc-status: 0`; anything else gets UNIMPLEMENTED or INVALID_ARGUMENT.
 *
 * Why the server ends held streams rather than the client cancelling them:
 * 10,000 RST_STREAMs at once trip nghttp2's rapid-reset guard
 * (CVE-2023-44487: bursts over 1,000, then 33/s), which answers with GOAWAY
 * INTERNAL_ERROR, and Node 20 cannot raise that limit (`streamResetBurst` came later).
 */
export async function startBenchServer(options: BenchServerOptions = {}): Promise<BenchServer> {
  const responses = createPreEncodedResponses();
  const sessions = new Set<http2.ServerHttp2Session>();
  const held = new Set<http2.ServerHttp2Stream>();
  const handlers = new Map<string, Handler>([
    [
      PATHS.getUser,
      (stream) =>
        readRequests(stream, (messages) => {
          const size = sizeOfUserId(readFirstStringField(messages[0] ?? Buffer.alloc(0)));
          if (size === undefined) return fail(stream, 3, "user_id must start with small:, 1k: or 64k:");
          reply(stream, responses.getUser(size));
        }),
    ],
    [
      PATHS.watchUsers,
      (stream) =>
        readRequests(stream, (messages) => {
          const what = parseWatchUserId(readFirstStringField(messages[0] ?? Buffer.alloc(0)));
          if (what === undefined) return fail(stream, 3, "user_ids[0] must be stream:<count> or hold");
          if (what !== "hold") return reply(stream, responses.watchStream(what.count));
          stream.respond(responseHeaders, { waitForTrailers: true });
          stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          stream.write(responses.watchFirst);
          held.add(stream);
          stream.once("close", () => held.delete(stream));
        }),
    ],
    [
      PATHS.releaseHeld,
      (stream) =>
        readRequests(stream, () => {
          for (const h of held) h.end();
          held.clear();
          reply(stream, Buffer.alloc(0));
        }),
    ],
    [PATHS.bulkCreateUsers, (stream) => readRequests(stream, (messages) => reply(stream, responses.bulkCreate(messages.length)))],
    [
      PATHS.syncUsers,
      (stream) => {
        stream.respond(responseHeaders, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        let index = 0;
        const read = createEnvelopeReader(() => stream.write(responses.sync(index++)));
        stream.on("data", read);
        stream.once("end", () => stream.end());
      },
    ],
  ]);

  const server = http2.createServer({
    settings: { maxConcurrentStreams: BENCH_MAX_CONCURRENT_STREAMS },
    // 10,000 held streams need more than the default 10 MB of nghttp2 session memory.
    maxSessionMemory: 256,
  });
  // Answer at once: Nagle's algorithm would hold small frames back for the client's delayed ACK.
  server.on("connection", (socket: Socket) => socket.setNoDelay(true));
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    options.onRequestHeaders?.(headers);
    // A client cancelling (RST_STREAM) is normal here: held streams end that way.
    stream.on("error", () => {});
    const handler = handlers.get(String(headers[":path"]));
    if (handler === undefined) {
      stream.respond({ ...responseHeaders, "grpc-status": "12", "grpc-message": "unimplemented" }, { endStream: true });
      return;
    }
    handler(stream);
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host}:${port}`,
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      return closed;
    },
  };
}

/** Collects the request messages until the client half-closes, then calls `onEnd` with them. */
function readRequests(stream: http2.ServerHttp2Stream, onEnd: (messages: Buffer[]) => void): void {
  const messages: Buffer[] = [];
  stream.on(
    "data",
    createEnvelopeReader((message) => messages.push(message)),
  );
  stream.once("end", () => {
    if (!stream.destroyed) onEnd(messages);
  });
}

function reply(stream: http2.ServerHttp2Stream, body: Buffer): void {
  stream.respond(responseHeaders, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(body);
}

function fail(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  stream.respond({ ...responseHeaders, "grpc-status": String(code), "grpc-message": encodeURIComponent(message) }, { endStream: true });
}
