import { once } from "node:events";
import * as http2 from "node:http2";
import { HOLD_USER_ID, MESSAGE_SIZES, type MessageSize, PATHS, streamUserId } from "../protocol/bench-messages.js";
import {
  encodeBulkCreateUsersRequest,
  encodeGetUserRequest,
  encodeSyncUsersRequest,
  encodeWatchUsersRequest,
} from "../protocol/encode-bench-messages.js";
import { createEnvelopeReader, encodeEnvelope } from "../protocol/grpc-envelope.js";
import { type BenchClient, type HeldStream, expectCount } from "./bench-client.js";

const requestHeaders = { ":method": "POST", "content-type": "application/grpc", te: "trailers" } as const;

/**
 * The floor: one `node:http2` session writing pre-encoded request frames and
 * counting the response messages (split into envelopes, not decoded), then
 * checking `grpc-status`. What any gRPC client must at least do on Node.
 */
export function createRawHttp2Client(baseUrl: string): BenchClient {
  const session = http2.connect(baseUrl);
  session.on("error", () => {}); // a failing session fails its streams, which reject the calls
  const getUserFrames = new Map(MESSAGE_SIZES.map((size) => [size, encodeEnvelope(encodeGetUserRequest(size))]));
  const bulkCreateFrame = encodeEnvelope(encodeBulkCreateUsersRequest());
  const syncFrame = encodeEnvelope(encodeSyncUsersRequest());
  const holdFrame = encodeEnvelope(encodeWatchUsersRequest(HOLD_USER_ID));
  const streamFrames = new Map<number, Buffer>();

  /** Opens a stream; `onMessage` sees each response message; resolves with the count once it ended with grpc-status 0. */
  const call = (
    path: string,
    onMessage: (stream: http2.ClientHttp2Stream) => void,
    write: (stream: http2.ClientHttp2Stream) => void | Promise<void>,
  ) => {
    const stream = session.request({ ...requestHeaders, ":path": path });
    let status: string | undefined;
    let received = 0;
    const done = new Promise<number>((resolve, reject) => {
      stream.on("response", (headers) => (status ??= headers["grpc-status"] as string | undefined));
      stream.on("trailers", (trailers) => (status = trailers["grpc-status"] as string | undefined));
      stream.on(
        "data",
        createEnvelopeReader(() => {
          received++;
          onMessage(stream);
        }),
      );
      stream.on("error", reject);
      stream.on("close", () =>
        status === "0" ? resolve(received) : reject(new Error(`${path} ended with grpc-status ${status} (rst ${stream.rstCode})`)),
      );
    });
    return Promise.all([done, write(stream)]).then(([count]) => count);
  };

  return {
    async unary(size: MessageSize) {
      expectCount(
        "GetUser responses",
        await call(
          PATHS.getUser,
          () => {},
          (s) => void s.end(getUserFrames.get(size)),
        ),
        1,
      );
    },
    async serverStream(count) {
      let frame = streamFrames.get(count);
      if (frame === undefined) streamFrames.set(count, (frame = encodeEnvelope(encodeWatchUsersRequest(streamUserId(count)))));
      expectCount(
        "WatchUsers events",
        await call(
          PATHS.watchUsers,
          () => {},
          (s) => void s.end(frame),
        ),
        count,
      );
    },
    async clientStream(count) {
      const write = async (stream: http2.ClientHttp2Stream) => {
        for (let i = 0; i < count; i++) if (!stream.write(bulkCreateFrame)) await once(stream, "drain");
        stream.end();
      };
      expectCount("BulkCreateUsers responses", await call(PATHS.bulkCreateUsers, () => {}, write), 1);
    },
    async bidiPingPong(rounds) {
      let answered = 0;
      const onMessage = (stream: http2.ClientHttp2Stream) => {
        if (++answered < rounds) stream.write(syncFrame);
        else stream.end();
      };
      expectCount("SyncUsers responses", await call(PATHS.syncUsers, onMessage, (s) => void s.write(syncFrame)), rounds);
    },
    async openHeldStream(): Promise<HeldStream> {
      let first!: () => void;
      const firstEvent = new Promise<void>((resolve) => (first = resolve));
      const ended = call(PATHS.watchUsers, first, (s) => void s.end(holdFrame));
      ended.catch(() => {}); // awaited by ended(); an early failure also fails the wait below
      await Promise.race([firstEvent, ended.then(() => Promise.reject(new Error("WatchUsers: held stream ended before its first event")))]);
      return { ended: async () => expectCount("WatchUsers events", await ended, 1) };
    },
    async close() {
      session.close();
    },
  };
}
