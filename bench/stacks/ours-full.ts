import { createTransport } from "../../src/node/index.js";
import { createUserClient } from "../../src/users/node.js";
import { BENCH_TOKEN, MESSAGE_SIZES, SYNC_REQUEST, unaryUserId } from "../protocol/bench-messages.js";
import { createAsyncIterableWorkload } from "./async-iterable-workload.js";
import type { BenchClient } from "./bench-client.js";

/**
 * Ours as an application uses it: `createTransport` with auth (a fixed
 * token), the default retry policy, default deadlines and correlation ids,
 * logging off, and the typed `createUserClient` on top. One connection, like
 * the peers (see bench/README.md).
 */
export function createOursFullClient(baseUrl: string): BenchClient {
  const transport = createTransport({ baseUrl, auth: BENCH_TOKEN, maxConnections: 1 });
  const client = createUserClient(transport);
  const userIds = new Map(MESSAGE_SIZES.map((size) => [size, unaryUserId(size)]));
  return createAsyncIterableWorkload({
    async getUser(size) {
      await client.getUser(userIds.get(size)!);
    },
    watchUsers: (ids) => client.watchUsers({ userIds: ids }),
    bulkCreateUsers: (requests) => client.bulkCreateUsers(requests),
    syncUsers: (requests) => client.syncUsers(requests),
    syncRequest: { userId: SYNC_REQUEST.userId, changes: { name: SYNC_REQUEST.name } },
    async close() {
      await client.close();
      await transport.close({ graceMs: 0 });
    },
  });
}
