import type { User, UserEventType, UserStatus } from "../../gen/user/v1/user_service_pb.js";

/** The fields a caller supplies when creating a user. */
export interface NewUser {
  email: string;
  name: string;
  age: number;
  roles: string[];
  password: string;
}

/** The fields an update may change, as named by an update mask. */
export interface UserPatch {
  email?: string;
  name?: string;
  age?: number;
  roles?: string[];
  status?: UserStatus;
}

/** One entry of the event log. */
export interface UserEvent {
  sequence: bigint;
  type: UserEventType;
  user: User;
  eventTime: Date;
}

/** Which users a listing selects; every given term must match. */
export interface UserFilter {
  status?: UserStatus;
  /** Every role listed must be held. */
  roles?: string[];
  email?: string;
}

/** A page of users in creation order. */
export interface UserPage {
  users: User[];
  /** Position of the last user of this page, to continue after; absent on the last page. */
  nextAfter?: number;
  /** How many users match in all. */
  totalSize: number;
}

/** Result of reading the event log from a sequence on. */
export type EventRead = { kind: "events"; events: UserEvent[]; lastSequence: bigint } | { kind: "out_of_range"; reason: string };

/**
 * Storage behind the UserService. Each method is atomic with respect to the
 * others, so concurrent calls cannot create two users with one email or one
 * request id. Errors are ConnectErrors carrying the gRPC code to return.
 */
export interface UserRepository {
  get(id: string): Promise<User | undefined>;
  /** Creates a user, or returns the one an earlier create with `requestId` made. */
  create(input: NewUser, requestId: string): Promise<User>;
  update(id: string, patch: UserPatch): Promise<User>;
  delete(id: string): Promise<User>;
  list(filter: UserFilter, after: number, limit: number): Promise<UserPage>;
  /** Events with a sequence greater than `since`; `since` 0n means none (only the newest position). */
  readEvents(since: bigint): EventRead;
  /** Calls `listener` synchronously for every new event; returns the unsubscribe function. */
  subscribe(listener: (event: UserEvent) => void): () => void;
}
