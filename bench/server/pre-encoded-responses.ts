import { MESSAGE_SIZES, type MessageSize } from "../protocol/bench-messages.js";
import {
  encodeBulkCreateUsersResponse,
  encodeGetUserResponse,
  encodeSyncUsersResponse,
  encodeWatchUsersResponse,
} from "../protocol/encode-bench-messages.js";
import { encodeEnvelope } from "../protocol/grpc-envelope.js";

/** Every response of the bench server, as ready-to-write gRPC frames, so serving costs a lookup and a write. */
export interface PreEncodedResponses {
  /** GetUserResponse frame of each size. */
  getUser(size: MessageSize): Buffer;
  /** WatchUsersResponse frames for sequences 1..count, concatenated (cached per count). */
  watchStream(count: number): Buffer;
  /** The first WatchUsersResponse frame (of a held stream). */
  readonly watchFirst: Buffer;
  /** BulkCreateUsersResponse frame for a count (tiny, encoded on demand). */
  bulkCreate(createdCount: number): Buffer;
  /** SyncUsersResponse frames by index, the first `syncCached` of them pre-encoded. */
  sync(index: number): Buffer;
}

/** Pre-encodes the responses; stream bodies are built on first use and kept. */
export function createPreEncodedResponses(syncCached = 1024): PreEncodedResponses {
  const getUser = new Map(MESSAGE_SIZES.map((size) => [size, encodeEnvelope(encodeGetUserResponse(size))]));
  const streams = new Map<number, Buffer>();
  const syncFrames = Array.from({ length: syncCached }, (_, i) => encodeEnvelope(encodeSyncUsersResponse(i)));
  return {
    getUser: (size) => getUser.get(size)!,
    watchStream(count) {
      let body = streams.get(count);
      if (body === undefined) {
        body = Buffer.concat(Array.from({ length: count }, (_, i) => encodeEnvelope(encodeWatchUsersResponse(i + 1))));
        streams.set(count, body);
      }
      return body;
    },
    watchFirst: encodeEnvelope(encodeWatchUsersResponse(1)),
    bulkCreate: (createdCount) => encodeEnvelope(encodeBulkCreateUsersResponse(createdCount)),
    sync: (index) => syncFrames[index] ?? encodeEnvelope(encodeSyncUsersResponse(index)),
  };
}
