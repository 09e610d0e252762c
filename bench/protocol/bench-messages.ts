/**
 * What every stack sends and the bench server answers, as plain data: the
 * same bytes go over the wire whichever stack encodes them. The request says
 * what it wants in its first string field (GetUserRequest.user_id,
 * WatchUsersRequest.user_ids[0]), so the server needs no protobuf decoder.
 */

/** Unary message sizes: a realistic small user, and 1 KiB and 64 KiB encoded messages (each way). */
export const MESSAGE_SIZES = ["small", "1k", "64k"] as const;
export type MessageSize = (typeof MESSAGE_SIZES)[number];

/** Encoded size of the request and of the response message for each size; undefined = whatever the small user takes. */
export const MESSAGE_BYTES: Readonly<Record<MessageSize, number | undefined>> = { small: undefined, "1k": 1024, "64k": 65536 };

/** The fully qualified service name, as in the gRPC path. */
export const SERVICE = "user.v1.UserService";

/** The gRPC paths of the methods the benchmark calls. */
export const PATHS = {
  getUser: `/${SERVICE}/GetUser`,
  watchUsers: `/${SERVICE}/WatchUsers`,
  bulkCreateUsers: `/${SERVICE}/BulkCreateUsers`,
  syncUsers: `/${SERVICE}/SyncUsers`,
  /** The bench server's own control call (not UserService): end every held WatchUsers stream normally. */
  releaseHeld: "/bench.v1.BenchControl/ReleaseHeld",
} as const;

/** The small user every response carries (padded for the larger sizes). */
export const SMALL_USER = {
  id: "u-42",
  email: "ada@example.com",
  name: "Ada Lovelace",
  age: 36,
  roles: ["admin"],
  /** USER_STATUS_ACTIVE */
  status: 1,
  createTimeSeconds: 1_700_000_000n,
} as const;

/**
 * GetUserRequest.user_id for a size: `<size>:` then padding, so that the
 * encoded request (tag, length varint, string) is exactly MESSAGE_BYTES long.
 */
export function unaryUserId(size: MessageSize): string {
  const target = MESSAGE_BYTES[size];
  const prefix = `${size}:`;
  if (target === undefined) return `${prefix}${SMALL_USER.id}`;
  const length = target - 1 - varintLength(target);
  return prefix + "x".repeat(length - prefix.length);
}

/** Reads the size back from a GetUserRequest.user_id; undefined when it names none. */
export function sizeOfUserId(userId: string): MessageSize | undefined {
  const size = userId.slice(0, userId.indexOf(":"));
  return (MESSAGE_SIZES as readonly string[]).includes(size) ? (size as MessageSize) : undefined;
}

/** WatchUsersRequest.user_ids[0] asking for `count` events, then the end of the stream. */
export function streamUserId(count: number): string {
  return `stream:${count}`;
}

/** WatchUsersRequest.user_ids[0] asking for one event, then a stream held open until the client cancels. */
export const HOLD_USER_ID = "hold";

/** Reads a WatchUsers request's user id back: a stream of `count` events, or a held stream. */
export function parseWatchUserId(userId: string): { count: number } | "hold" | undefined {
  if (userId === HOLD_USER_ID) return "hold";
  const match = /^stream:(\d+)$/.exec(userId);
  return match ? { count: Number(match[1]) } : undefined;
}

/** Each BulkCreateUsersRequest of the client-streaming scenario (NewUserInput of our client, with a fixed request id). */
export const BULK_CREATE_REQUEST = {
  email: "ada@example.com",
  name: "Ada Lovelace",
  requestId: "9f1c2f0e-6a4b-4c1e-8d2a-5b7e3c9d1a20",
} as const;

/**
 * The bearer token the stacks that authenticate send (ours-full through its
 * `auth` option, grpc-js-full as `authorization` metadata). The bench server
 * does not check it; it is there so that both pay for carrying it.
 */
export const BENCH_TOKEN = "bench-token";

/** Each SyncUsersRequest of the bidi scenario: rename user u-42. */
export const SYNC_REQUEST = { userId: "u-42", name: "Ada King" } as const;

function varintLength(value: number): number {
  // The length varint counts only the string, which is 1-3 bytes shorter than
  // the message; for 1 KiB and 64 KiB that does not change its own width.
  return value < 128 ? 1 : value < 16_384 ? 2 : 3;
}
