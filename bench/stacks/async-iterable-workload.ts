import { BULK_CREATE_REQUEST, HOLD_USER_ID, type MessageSize, streamUserId } from "../protocol/bench-messages.js";
import { type BenchClient, expectCount, expectEnd } from "./bench-client.js";
import { createPingPongRequests } from "./ping-pong-requests.js";

/** The calls of a client whose streams are async iterables (connect-es's createClient, our UserClient). */
export interface AsyncIterableApi<SyncRequest> {
  getUser(size: MessageSize): Promise<void>;
  watchUsers(userIds: string[]): AsyncIterable<unknown>;
  bulkCreateUsers(requests: AsyncIterable<typeof BULK_CREATE_REQUEST>): Promise<{ createdCount: number }>;
  syncUsers(requests: AsyncIterable<SyncRequest>): AsyncIterable<unknown>;
  /** The SyncUsers request in this API's shape. */
  syncRequest: SyncRequest;
  close(): Promise<void>;
}

/** The workload over an async-iterable API: the stacks differ only in how they make each call. */
export function createAsyncIterableWorkload<SyncRequest>(api: AsyncIterableApi<SyncRequest>): BenchClient {
  return {
    unary: (size) => api.getUser(size),
    async serverStream(count) {
      let received = 0;
      for await (const _ of api.watchUsers([streamUserId(count)])) received++;
      expectCount("WatchUsers events", received, count);
    },
    async clientStream(count) {
      const res = await api.bulkCreateUsers(
        (async function* () {
          for (let i = 0; i < count; i++) yield BULK_CREATE_REQUEST;
        })(),
      );
      expectCount("BulkCreateUsers created_count", res.createdCount, count);
    },
    async bidiPingPong(rounds) {
      const pingPong = createPingPongRequests(rounds, api.syncRequest);
      let received = 0;
      for await (const _ of api.syncUsers(pingPong.requests)) {
        received++;
        pingPong.answered();
      }
      expectCount("SyncUsers responses", received, rounds);
    },
    async openHeldStream() {
      const events = api.watchUsers([HOLD_USER_ID])[Symbol.asyncIterator]();
      if ((await events.next()).done) throw new Error("WatchUsers: held stream ended before its first event");
      return { ended: () => expectEnd(events) };
    },
    close: () => api.close(),
  };
}
