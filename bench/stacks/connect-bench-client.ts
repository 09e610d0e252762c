import { createClient, type Transport } from "@connectrpc/connect";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { MESSAGE_SIZES, SYNC_REQUEST, unaryUserId } from "../protocol/bench-messages.js";
import { createAsyncIterableWorkload } from "./async-iterable-workload.js";
import type { BenchClient } from "./bench-client.js";

/**
 * The workload through connect-es's `createClient(UserService, transport)`:
 * shared by the stacks that differ only in their transport (ours bare, connect-node).
 */
export function createConnectBenchClient(transport: Transport, close: () => Promise<void>): BenchClient {
  const client = createClient(UserService, transport);
  const userIds = new Map(MESSAGE_SIZES.map((size) => [size, unaryUserId(size)]));
  return createAsyncIterableWorkload({
    async getUser(size) {
      const res = await client.getUser({ userId: userIds.get(size)! });
      if (res.user === undefined) throw new Error("GetUser: response without a user");
    },
    watchUsers: (userIds) => client.watchUsers({ userIds }),
    bulkCreateUsers: (requests) => client.bulkCreateUsers(requests),
    syncUsers: (requests) => client.syncUsers(requests),
    syncRequest: { user: { id: SYNC_REQUEST.userId, name: SYNC_REQUEST.name }, updateMask: { paths: ["name"] } },
    close,
  });
}
