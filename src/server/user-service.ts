import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  BulkCreateFailureSchema,
  type CreateUserRequest,
  type BulkCreateUsersRequest,
  type SyncUsersResponse,
  SyncUsersResponseSchema,
  type UpdateUserRequest,
  type UserService,
  type User,
  type WatchUsersResponse,
  WatchUsersResponseSchema,
} from "../../gen/user/v1/user_service_pb.js";
import { createAsyncQueue } from "./async-queue.js";
import { badRequest } from "./bad-request.js";
import { createPageTokens, type PageTokens } from "./page-token.js";
import { canonicalFilter, parseUserFilter } from "./user-filter.js";
import type { UserEvent, UserRepository } from "./user-repository.js";
import { patchFromMask, validateUserFields } from "./user-validation.js";

/** Options for {@link createUserService}. */
export interface UserServiceOptions {
  /** Signs page tokens. Defaults to a fresh random key. */
  pageTokens?: PageTokens;
  /**
   * How many events a WatchUsers stream may have queued for a slow client
   * before it is ended with RESOURCE_EXHAUSTED (the client resumes from its
   * last sequence). Defaults to 10,000.
   */
  maxQueuedEvents?: number;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

/** The UserService handlers over a repository, following the contract in user_service.proto. */
export function createUserService(repository: UserRepository, options: UserServiceOptions = {}): ServiceImpl<typeof UserService> {
  const pageTokens = options.pageTokens ?? createPageTokens();
  const maxQueuedEvents = options.maxQueuedEvents ?? 10_000;

  async function createOne(req: CreateUserRequest | BulkCreateUsersRequest): Promise<User> {
    const violations = validateUserFields({ email: req.email, name: req.name });
    if (violations.length > 0) throw badRequest(violations);
    return repository.create({ email: req.email, name: req.name, age: req.age, roles: req.roles, password: req.password }, req.requestId);
  }

  async function updateOne(req: Pick<UpdateUserRequest, "user" | "updateMask">): Promise<User> {
    const id = req.user?.id ?? "";
    if (id === "") throw badRequest([{ field: "user.id", description: "must not be empty" }]);
    const { patch, violations } = patchFromMask(req.updateMask?.paths ?? [], req.user!);
    if (violations.length > 0) throw badRequest(violations);
    return repository.update(id, patch);
  }

  return {
    async getUser(req) {
      const user = await repository.get(req.userId);
      if (!user) throw new ConnectError(`user ${req.userId} not found`, Code.NotFound);
      return { user };
    },

    async listUsers(req) {
      if (req.pageSize < 0) {
        throw badRequest([{ field: "page_size", description: "must not be negative" }]);
      }
      const limit = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(req.pageSize, MAX_PAGE_SIZE);
      const filter = parseUserFilter(req.filter);
      const filterKey = canonicalFilter(filter);
      const after = req.pageToken === "" ? 0 : pageTokens.verify(req.pageToken, filterKey);
      const page = await repository.list(filter, after, limit);
      return {
        users: page.users,
        totalSize: page.totalSize,
        nextPageToken: page.nextAfter === undefined ? "" : pageTokens.issue(page.nextAfter, filterKey),
      };
    },

    async createUser(req) {
      return { user: await createOne(req) };
    },

    async updateUser(req) {
      return { user: await updateOne(req) };
    },

    async deleteUser(req) {
      await repository.delete(req.userId);
      return {};
    },

    async *watchUsers(req, context) {
      if (req.sinceSequence < 0n) {
        throw badRequest([{ field: "since_sequence", description: "must not be negative" }]);
      }
      const wanted = new Set(req.userIds);
      const queue = createAsyncQueue<UserEvent>();
      // Subscribe and read the backlog in the same tick: no event can fall between them.
      const unsubscribe = repository.subscribe((event) => queue.push(event));
      try {
        const read = repository.readEvents(req.sinceSequence);
        if (read.kind === "out_of_range") throw new ConnectError(read.reason, Code.OutOfRange);
        for (const event of read.events) if (wanted.size === 0 || wanted.has(event.user.id)) yield toResponse(event);
        let delivered = read.lastSequence;
        for (;;) {
          if (queue.size > maxQueuedEvents) {
            throw new ConnectError(
              `watcher fell behind by more than ${maxQueuedEvents} events; resume with since_sequence ${delivered}`,
              Code.ResourceExhausted,
            );
          }
          const event = await queue.take(context.signal);
          if (event === undefined) throw abortReason(context);
          delivered = event.sequence;
          if (wanted.size === 0 || wanted.has(event.user.id)) yield toResponse(event);
        }
      } finally {
        unsubscribe();
      }
    },

    async bulkCreateUsers(requests) {
      const userIds: string[] = [];
      const failures = [];
      let index = 0;
      for await (const req of requests) {
        try {
          userIds.push((await createOne(req)).id);
        } catch (e) {
          const error = ConnectError.from(e);
          failures.push(create(BulkCreateFailureSchema, { index, code: error.code, message: error.rawMessage }));
        }
        index++;
      }
      return { createdCount: userIds.length, userIds, failures };
    },

    async *syncUsers(requests) {
      let index = 0n;
      for await (const req of requests) {
        let response: SyncUsersResponse;
        try {
          response = create(SyncUsersResponseSchema, { index, user: await updateOne(req) });
        } catch (e) {
          const error = ConnectError.from(e);
          response = create(SyncUsersResponseSchema, { index, code: error.code, message: error.rawMessage });
        }
        index++;
        yield response;
      }
    },
  };
}

function toResponse(event: UserEvent): WatchUsersResponse {
  return create(WatchUsersResponseSchema, {
    sequence: event.sequence,
    type: event.type,
    user: event.user,
    eventTime: timestampFromDate(event.eventTime),
  });
}

/** Why a stream's context ended: shutdown gives its own ConnectError, a client cancel gives Canceled. */
function abortReason(context: HandlerContext): ConnectError {
  return ConnectError.from(context.signal.reason, Code.Canceled);
}
