import { createTransport, createUserClient } from "../../src/node/index.js";
import { BULK_CREATE_REQUEST, HOLD_USER_ID, MESSAGE_SIZES, type MessageSize, streamUserId, SYNC_REQUEST, unaryUserId } from "../protocol/bench-messages.js";
import { type BenchClient, expectCount, expectEnd } from "./bench-client.js";
import { createPingPongRequests } from "./ping-pong-requests.js";

/**
 * Ours as an application uses it: `createTransport` with auth (a fixed
 * token), the default retry policy, default deadlines and correlation ids,
 * logging off, and the typed `createUserClient` on top. One connection, like
 * the peers (see bench/README.md).
 */
export function createOursFullClient(baseUrl: string): BenchClient {
  const transport = createTransport({ baseUrl, auth: "bench-token", maxConnections: 1 });
  const client = createUserClient(transport);
  const userIds = new Map(MESSAGE_SIZES.map((size) => [size, unaryUserId(size)]));
  const syncUpdate = { userId: SYNC_REQUEST.userId, changes: { name: SYNC_REQUEST.name } };
  return {
    async unary(size: MessageSize) {
      await client.getUser(userIds.get(size)!);
    },
    async serverStream(count) {
      let received = 0;
      for await (const _ of client.watchUsers({ userIds: [streamUserId(count)] })) received++;
      expectCount("WatchUsers events", received, count);
    },
    async clientStream(count) {
      const result = await client.bulkCreateUsers(
        (async function* () {
          for (let i = 0; i < count; i++) yield BULK_CREATE_REQUEST;
        })(),
      );
      expectCount("BulkCreateUsers created_count", result.createdCount, count);
    },
    async bidiPingPong(rounds) {
      const pingPong = createPingPongRequests(rounds, syncUpdate);
      let received = 0;
      for await (const _ of client.syncUsers(pingPong.requests)) {
        received++;
        pingPong.answered();
      }
      expectCount("SyncUsers responses", received, rounds);
    },
    async openHeldStream() {
      const events = client.watchUsers({ userIds: [HOLD_USER_ID] })[Symbol.asyncIterator]();
      if ((await events.next()).done) throw new Error("WatchUsers: held stream ended before its first event");
      return { ended: () => expectEnd(events) };
    },
    async close() {
      await client.close();
      await transport.close({ graceMs: 0 });
    },
  };
}
