import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  BulkCreateUsersRequestSchema,
  BulkCreateUsersResponseSchema,
  GetUserRequestSchema,
  GetUserResponseSchema,
  SyncUsersRequestSchema,
  SyncUsersResponseSchema,
  WatchUsersRequestSchema,
  WatchUsersResponseSchema,
} from "../../../gen/user/v1/user_service_pb.js";
import {
  BULK_CREATE_REQUEST,
  MESSAGE_SIZES,
  parseWatchUserId,
  sizeOfUserId,
  streamUserId,
  SYNC_REQUEST,
  unaryUserId,
} from "../../../bench/protocol/bench-messages.js";
import {
  encodeBulkCreateUsersRequest,
  encodeBulkCreateUsersResponse,
  encodeGetUserRequest,
  encodeGetUserResponse,
  encodeSyncUsersRequest,
  encodeSyncUsersResponse,
  encodeWatchUsersRequest,
  encodeWatchUsersResponse,
} from "../../../bench/protocol/encode-bench-messages.js";
import { createEnvelopeReader, encodeEnvelope } from "../../../bench/protocol/grpc-envelope.js";
import { readFirstStringField } from "../../../bench/protocol/proto-writer.js";

describe("the hand-encoded bench messages", () => {
  it("are byte for byte what protobuf-es writes for the requests the other stacks send", () => {
    for (const size of MESSAGE_SIZES) {
      expect(encodeGetUserRequest(size)).toEqual(
        Buffer.from(toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { userId: unaryUserId(size) }))),
      );
    }
    expect(encodeBulkCreateUsersRequest()).toEqual(
      Buffer.from(toBinary(BulkCreateUsersRequestSchema, create(BulkCreateUsersRequestSchema, BULK_CREATE_REQUEST))),
    );
    const sync = create(SyncUsersRequestSchema, {
      user: { id: SYNC_REQUEST.userId, name: SYNC_REQUEST.name },
      updateMask: { paths: ["name"] },
    });
    expect(encodeSyncUsersRequest()).toEqual(Buffer.from(toBinary(SyncUsersRequestSchema, sync)));
    const watch = create(WatchUsersRequestSchema, { userIds: [streamUserId(1000)] });
    expect(encodeWatchUsersRequest(streamUserId(1000))).toEqual(Buffer.from(toBinary(WatchUsersRequestSchema, watch)));
  });

  it("make 1 KiB and 64 KiB requests and responses exactly that long", () => {
    expect(encodeGetUserRequest("1k").length).toBe(1024);
    expect(encodeGetUserRequest("64k").length).toBe(65536);
    expect(encodeGetUserResponse("1k").length).toBe(1024);
    expect(encodeGetUserResponse("64k").length).toBe(65536);
    expect(encodeGetUserResponse("small").length).toBeLessThan(100);
  });

  it("decode with protobuf-es into the responses a client expects", () => {
    const user = fromBinary(GetUserResponseSchema, encodeGetUserResponse("small")).user!;
    expect(user).toMatchObject({ id: "u-42", email: "ada@example.com", name: "Ada Lovelace", age: 36, roles: ["admin"], status: 1 });
    expect(user.createTime?.seconds).toBe(1_700_000_000n);
    expect(fromBinary(WatchUsersResponseSchema, encodeWatchUsersResponse(7)).sequence).toBe(7n);
    expect(fromBinary(BulkCreateUsersResponseSchema, encodeBulkCreateUsersResponse(500)).createdCount).toBe(500);
    expect(fromBinary(BulkCreateUsersResponseSchema, encodeBulkCreateUsersResponse(0)).createdCount).toBe(0);
    const sync = fromBinary(SyncUsersResponseSchema, encodeSyncUsersResponse(3));
    expect(sync.index).toBe(3n);
    expect(
      equals(
        SyncUsersResponseSchema,
        fromBinary(SyncUsersResponseSchema, encodeSyncUsersResponse(0)),
        create(SyncUsersResponseSchema, { user }),
      ),
    ).toBe(true);
  });

  it("carry what the server reads back from the first string field", () => {
    expect(sizeOfUserId(readFirstStringField(encodeGetUserRequest("64k")))).toBe("64k");
    expect(sizeOfUserId("huge:1")).toBeUndefined();
    expect(parseWatchUserId(readFirstStringField(encodeWatchUsersRequest(streamUserId(250))))).toEqual({ count: 250 });
    expect(parseWatchUserId("hold")).toBe("hold");
    expect(parseWatchUserId("stream:")).toBeUndefined();
    expect(readFirstStringField(new Uint8Array())).toBe("");
  });
});

describe("createEnvelopeReader", () => {
  it("finds every message however the chunks split them", () => {
    const messages = [Buffer.from("a"), Buffer.alloc(0), Buffer.from("hello world")];
    const wire = Buffer.concat(messages.map(encodeEnvelope));
    for (const chunkSize of [1, 3, 7, wire.length]) {
      const seen: string[] = [];
      const read = createEnvelopeReader((m) => seen.push(m.toString()));
      for (let i = 0; i < wire.length; i += chunkSize) read(wire.subarray(i, i + chunkSize));
      expect(seen).toEqual(["a", "", "hello world"]);
    }
  });

  it("refuses compressed messages", () => {
    const frame = encodeEnvelope(Buffer.from("x"));
    frame[0] = 1;
    expect(() => createEnvelopeReader(() => {})(frame)).toThrow("unsupported envelope flags 1");
  });
});
