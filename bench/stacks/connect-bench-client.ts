import { createClient, type Transport } from "@connectrpc/connect";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { BULK_CREATE_REQUEST, HOLD_USER_ID, MESSAGE_SIZES, type MessageSize, streamUserId, SYNC_REQUEST, unaryUserId } from "../protocol/bench-messages.js";
import { type BenchClient, expectCount, expectEnd } from "./bench-client.js";
import { createPingPongRequests } from "./ping-pong-requests.js";

/**
 * The workload through connect-es's `createClient(UserService, transport)`:
 * shared by the stacks that differ only in their transport (ours bare, connect-node).
 */
export function createConnectBenchClient(transport: Transport, close: () => Promise<void>): BenchClient {
  const client = createClient(UserService, transport);
  const userIds = new Map(MESSAGE_SIZES.map((size) => [size, unaryUserId(size)]));
  const syncRequest = { user: { id: SYNC_REQUEST.userId, name: SYNC_REQUEST.name }, updateMask: { paths: ["name"] } };
  return {
    async unary(size: MessageSize) {
      const res = await client.getUser({ userId: userIds.get(size)! });
      if (res.user === undefined) throw new Error("GetUser: response without a user");
    },
    async serverStream(count) {
      let received = 0;
      for await (const _ of client.watchUsers({ userIds: [streamUserId(count)] })) received++;
      expectCount("WatchUsers events", received, count);
    },
    async clientStream(count) {
      const res = await client.bulkCreateUsers(
        (async function* () {
          for (let i = 0; i < count; i++) yield BULK_CREATE_REQUEST;
        })(),
      );
      expectCount("BulkCreateUsers created_count", res.createdCount, count);
    },
    async bidiPingPong(rounds) {
      const pingPong = createPingPongRequests(rounds, syncRequest);
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
    close,
  };
}
