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
import { BULK_CREATE_REQUEST, HOLD_USER_ID, MESSAGE_SIZES, type MessageSize, PATHS, streamUserId, SYNC_REQUEST, unaryUserId } from "../protocol/bench-messages.js";
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

/**
 * `@grpc/grpc-js` with its defaults (one channel, one HTTP/2 connection),
 * through `grpc.Client`'s generic request methods (what generated grpc-js
 * clients call) with protobuf-es serializers. Each request is a fresh
 * protobuf-es message, as connect's createClient makes one per call.
 */
export function createGrpcJsClient(baseUrl: string): BenchClient {
  const client = new grpc.Client(new URL(baseUrl).host, grpc.credentials.createInsecure());
  const userIds = new Map(MESSAGE_SIZES.map((size) => [size, unaryUserId(size)]));
  const syncRequest = { user: { id: SYNC_REQUEST.userId, name: SYNC_REQUEST.name }, updateMask: { paths: ["name"] } };
  return {
    unary(size: MessageSize) {
      return new Promise<void>((resolve, reject) => {
        const request = create(GetUserRequestSchema, { userId: userIds.get(size)! });
        client.makeUnaryRequest(PATHS.getUser, getUser.serialize, getUser.deserialize, request, (error, res) => {
          if (error) reject(error);
          else if (res?.user === undefined) reject(new Error("GetUser: response without a user"));
          else resolve();
        });
      });
    },
    async serverStream(count) {
      const request = create(WatchUsersRequestSchema, { userIds: [streamUserId(count)] });
      const call = client.makeServerStreamRequest(PATHS.watchUsers, watchUsers.serialize, watchUsers.deserialize, request);
      let received = 0;
      for await (const _ of call) received++;
      expectCount("WatchUsers events", received, count);
    },
    async clientStream(count) {
      let call!: grpc.ClientWritableStream<MessageShape<typeof BulkCreateUsersRequestSchema>>;
      const response = new Promise<MessageShape<typeof BulkCreateUsersResponseSchema>>((resolve, reject) => {
        call = client.makeClientStreamRequest(PATHS.bulkCreateUsers, bulkCreateUsers.serialize, bulkCreateUsers.deserialize, (error, res) =>
          error || res === undefined ? reject(error ?? new Error("BulkCreateUsers: no response")) : resolve(res),
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
        const call = client.makeBidiStreamRequest(PATHS.syncUsers, syncUsers.serialize, syncUsers.deserialize);
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
      const request = create(WatchUsersRequestSchema, { userIds: [HOLD_USER_ID] });
      const call = client.makeServerStreamRequest(PATHS.watchUsers, watchUsers.serialize, watchUsers.deserialize, request);
      let events = 0;
      const ended = new Promise<void>((resolve, reject) => {
        call.on("data", () => events++);
        call.once("error", reject);
        call.once("status", (status: grpc.StatusObject) =>
          status.code !== grpc.status.OK ? reject(new Error(`WatchUsers ended with ${status.code}`)) : events !== 1 ? reject(new Error(`WatchUsers: ${events} events`)) : resolve(),
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
