import { BULK_CREATE_REQUEST, MESSAGE_BYTES, type MessageSize, SMALL_USER, SYNC_REQUEST, unaryUserId } from "./bench-messages.js";
import { encodeMessage, type ProtoField } from "./proto-writer.js";

/**
 * The benchmark's messages encoded by hand (user.v1 field numbers), for the
 * bench server's pre-encoded responses and the raw-http2 floor's
 * pre-encoded requests. test/bench/encode-bench-messages.test.ts checks them
 * against protobuf-es.
 */

/** User, its name padded with `padding` extra characters. */
function userFields(padding = 0): ProtoField[] {
  return [
    [1, SMALL_USER.id],
    [2, SMALL_USER.email],
    [3, SMALL_USER.name + " ".repeat(padding)],
    [4, SMALL_USER.age],
    ...SMALL_USER.roles.map((role): ProtoField => [5, role]),
    [6, SMALL_USER.status],
    [7, [[1, SMALL_USER.createTimeSeconds]]],
  ];
}

/** GetUserRequest naming the size. */
export function encodeGetUserRequest(size: MessageSize): Buffer {
  return encodeMessage([[1, unaryUserId(size)]]);
}

/** GetUserResponse with the user padded so that the message is MESSAGE_BYTES[size] long. */
export function encodeGetUserResponse(size: MessageSize): Buffer {
  const target = MESSAGE_BYTES[size];
  const encode = (padding: number) => encodeMessage([[1, userFields(padding)]]);
  if (target === undefined) return encode(0);
  let padding = target - encode(0).length;
  // Padding can widen a length varint; adjust until the size is exact.
  for (let attempt = 0; attempt < 8; attempt++) {
    const message = encode(padding);
    if (message.length === target) return message;
    padding += target - message.length;
  }
  throw new Error(`cannot pad a GetUserResponse to exactly ${target} bytes`);
}

/** WatchUsersRequest with one user id (which tells the server what to stream). */
export function encodeWatchUsersRequest(userId: string): Buffer {
  return encodeMessage([[1, userId]]);
}

/** WatchUsersResponse number `sequence`: USER_EVENT_TYPE_UPDATED of the small user. */
export function encodeWatchUsersResponse(sequence: number): Buffer {
  return encodeMessage([
    [1, sequence],
    [2, 2],
    [3, userFields()],
    [4, [[1, SMALL_USER.createTimeSeconds]]],
  ]);
}

/** The BulkCreateUsersRequest of the client-streaming scenario. */
export function encodeBulkCreateUsersRequest(): Buffer {
  return encodeMessage([
    [1, BULK_CREATE_REQUEST.email],
    [2, BULK_CREATE_REQUEST.name],
    [6, BULK_CREATE_REQUEST.requestId],
  ]);
}

/** BulkCreateUsersResponse counting `createdCount` users. */
export function encodeBulkCreateUsersResponse(createdCount: number): Buffer {
  return encodeMessage(createdCount === 0 ? [] : [[1, createdCount]]);
}

/** The SyncUsersRequest of the bidi scenario: a rename with its update mask. */
export function encodeSyncUsersRequest(): Buffer {
  return encodeMessage([
    [
      1,
      [
        [1, SYNC_REQUEST.userId],
        [3, SYNC_REQUEST.name],
      ],
    ],
    [2, [[1, "name"]]],
  ]);
}

/** SyncUsersResponse number `index`, carrying the small user. */
export function encodeSyncUsersResponse(index: number): Buffer {
  return encodeMessage([...(index === 0 ? [] : [[1, index] as const]), [2, userFields()]]);
}
