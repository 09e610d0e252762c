import { once } from "node:events";
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  BulkCreateUsersRequestSchema,
  BulkCreateUsersResponseSchema,
  GetUserRequestSchema,
  GetUserResponseSchema,
  SyncUsersRequestSchema,
  SyncUsersResponseSchema,
  WatchUsersRequestSchema,
  WatchUsersResponseSchema,
} from "../../gen/user/v1/user_service_pb.js";
import {
  BULK_CREATE_REQUEST,
  HOLD_USER_ID,
  MESSAGE_SIZES,
  type MessageSize,
  PATHS,
  streamUserId,
  SYNC_REQUEST,
  unaryUserId,
} from "../protocol/bench-messages.js";
import { type BenchClient, expectCount } from "./bench-client.js";

/** protobuf-es (de)serializers for grpc-js, so that only the transport differs from the connect stacks. */
function codec<I extends DescMessage, O extends DescMessage>(input: I, output: O) {
  return {
    serialize: (message: MessageShape<I>) => Buffer.from(toBinary(input, message)),
    deserialize: (bytes: Buffer) => fromBinary(output, bytes),
  };
}

const getUser = codec(GetUserRequestSchema, GetUserResponseSchema);
const watchUsers = codec(WatchUsersRequestSchema, WatchUsersResponseSchema);
const bulkCreateUsers = codec(BulkCreateUsersRequestSchema, BulkCreateUsersResponseSchema);
const syncUsers = codec(SyncUsersRequestSchema, SyncUsersResponseSchema);

/** The UserService methods the workload calls, by their key in PATHS. */
export type GrpcJsMethod = "getUser" | "watchUsers" | "bulkCreateUsers" | "syncUsers";

/** What a grpc-js stack passes with one call: its metadata and call options (deadline...). */
export interface GrpcJsCallSettings {
  metadata: grpc.Metadata;
  options: grpc.CallOptions;
}

/**
 * The workload over `@grpc/grpc-js` with its defaults (one channel, one
 * HTTP/2 connection), through `grpc.Client`'s generic request methods (what
 * generated grpc-js clients call) with protobuf-es serializers. Each request
 * is a fresh protobuf-es message, as connect's createClient makes one per
 * call. `callSettings` is asked once per call (per stream for streams): the
 * grpc-js stacks differ only in what it returns.
 */
export function createGrpcJsBenchClient(baseUrl: string, callSettings: (method: GrpcJsMethod) => GrpcJsCallSettings): BenchClient {
  const client = new grpc.Client(new URL(baseUrl).host, grpc.credentials.createInsecure());
  const userIds = new Map(MESSAGE_SIZES.map((size) => [size, unaryUserId(size)]));
  const syncRequest = { user: { id: SYNC_REQUEST.userId, name: SYNC_REQUEST.name }, updateMask: { paths: ["name"] } };
  const watch = (userId: string) => {
    const { metadata, options } = callSettings("watchUsers");
    const request = create(WatchUsersRequestSchema, { userIds: [userId] });
    return client.makeServerStreamRequest(PATHS.watchUsers, watchUsers.serialize, watchUsers.deserialize, request, metadata, options);
  };
  return {
    unary(size: MessageSize) {
      return new Promise<void>((resolve, reject) => {
        const { metadata, options } = callSettings("getUser");
        const request = create(GetUserRequestSchema, { userId: userIds.get(size)! });
        client.makeUnaryRequest(PATHS.getUser, getUser.serialize, getUser.deserialize, request, metadata, options, (error, res) => {
          if (error) reject(error);
          else if (res?.user === undefined) reject(new Error("GetUser: response without a user"));
          else resolve();
        });
      });
    },
    async serverStream(count) {
      let received = 0;
      for await (const _ of watch(streamUserId(count))) received++;
      expectCount("WatchUsers events", received, count);
    },
    async clientStream(count) {
      const { metadata, options } = callSettings("bulkCreateUsers");
      let call!: grpc.ClientWritableStream<MessageShape<typeof BulkCreateUsersRequestSchema>>;
      const response = new Promise<MessageShape<typeof BulkCreateUsersResponseSchema>>((resolve, reject) => {
        call = client.makeClientStreamRequest(
          PATHS.bulkCreateUsers,
          bulkCreateUsers.serialize,
          bulkCreateUsers.deserialize,
          metadata,
          options,
          (error, res) => (error || res === undefined ? reject(error ?? new Error("BulkCreateUsers: no response")) : resolve(res)),
        );
      });
      for (let i = 0; i < count; i++) {
        if (!call.write(create(BulkCreateUsersRequestSchema, BULK_CREATE_REQUEST))) await once(call, "drain");
      }
      call.end();
      expectCount("BulkCreateUsers created_count", (await response).createdCount, count);
    },
    bidiPingPong(rounds) {
      return new Promise<void>((resolve, reject) => {
        const { metadata, options } = callSettings("syncUsers");
        const call = client.makeBidiStreamRequest(PATHS.syncUsers, syncUsers.serialize, syncUsers.deserialize, metadata, options);
        let received = 0;
        call.on("data", () => {
          if (++received < rounds) call.write(create(SyncUsersRequestSchema, syncRequest));
          else call.end();
        });
        call.on("error", reject);
        call.on("end", () => {
          try {
            expectCount("SyncUsers responses", received, rounds);
            resolve();
          } catch (e) {
            reject(e);
          }
        });
        call.write(create(SyncUsersRequestSchema, syncRequest));
      });
    },
    async openHeldStream() {
      const call = watch(HOLD_USER_ID);
      let events = 0;
      const ended = new Promise<void>((resolve, reject) => {
        call.on("data", () => events++);
        call.once("error", reject);
        call.once("status", (status: grpc.StatusObject) =>
          status.code !== grpc.status.OK
            ? reject(new Error(`WatchUsers ended with ${status.code}`))
            : events !== 1
              ? reject(new Error(`WatchUsers: ${events} events`))
              : resolve(),
        );
      });
      ended.catch(() => {}); // awaited by ended(); an early failure also fails the wait below
      await new Promise<void>((resolve, reject) => {
        call.once("data", () => resolve());
        ended.catch(reject);
      });
      return { ended: () => ended };
    },
    async close() {
      client.close();
    },
  };
}
