import { type CallOptions, Code, ConnectError, createClient, createContextValues, type Transport } from "@connectrpc/connect";
import {
  type BulkCreateFailure,
  type ListUsersResponse,
  type SyncUsersResponse,
  type User,
  UserService,
  type WatchUsersResponse,
} from "../../gen/user/v1/user_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SyncUsersRequestSchema } from "../../gen/user/v1/user_service_pb.js";
import { toTypedError } from "../errors/to-typed-error.js";
import { TypedConnectError } from "../errors/typed-errors.js";
import { retryableCallKey } from "../interceptors/retryable-call.js";
import { cancelsStreamsOnReturn } from "../transport/streams-cancel-on-return.js";
import type { TransportOptions } from "../transport/transport-options.js";
import type { UserCallOptions } from "./call-options.js";
import { openServerStream } from "./open-server-stream.js";
import { type UserChanges, updateMaskFor } from "./update-mask.js";
import { type ResumeOptions, watchWithResume } from "./watch-with-resume.js";

/** A user to create; `requestId` makes retries safe and is generated when absent. */
export interface NewUserInput {
  email: string;
  name: string;
  age?: number;
  roles?: string[];
  /** Write-only; never returned. */
  password?: string;
  /** Idempotency key. Defaults to a fresh UUID, so a retried create never duplicates. */
  requestId?: string;
}

/** The outcome of `bulkCreateUsers`. */
export interface BulkCreateResult {
  createdCount: number;
  userIds: string[];
  failures: BulkCreateFailure[];
}

/** A typed UserService client; see createUserClient. */
export interface UserClient extends AsyncDisposable {
  getUser(userId: string, options?: UserCallOptions): Promise<User>;
  createUser(user: NewUserInput, options?: UserCallOptions): Promise<User>;
  /** Changes the given fields only: the update mask is built from the fields present. */
  updateUser(userId: string, changes: UserChanges, options?: UserCallOptions): Promise<User>;
  deleteUser(userId: string, options?: UserCallOptions): Promise<void>;
  /** One page. */
  listUsers(request?: { pageSize?: number; pageToken?: string; filter?: string }, options?: UserCallOptions): Promise<ListUsersResponse>;
  /** Every user matching `filter`, page after page. */
  users(filter?: string, options?: UserCallOptions & { pageSize?: number }): AsyncIterable<User>;
  /** Gets many users concurrently; one settled result per id, in order, like Promise.allSettled. */
  getUsers(userIds: string[], options?: UserCallOptions & { concurrency?: number }): Promise<PromiseSettledResult<User>[]>;
  /**
   * Change events; after a retryable failure the stream reopens from the last
   * sequence delivered, so no event is lost or delivered twice.
   */
  watchUsers(
    request?: { userIds?: string[]; sinceSequence?: bigint },
    options?: Omit<UserCallOptions, "timeoutMs"> & ResumeOptions,
  ): AsyncIterable<WatchUsersResponse>;
  /** Streams creates; resolves with every created id and every failure. */
  bulkCreateUsers(
    users: Iterable<NewUserInput> | AsyncIterable<NewUserInput>,
    options?: UserCallOptions & { onProgress?: (sent: number) => void },
  ): Promise<BulkCreateResult>;
  /** Streams updates; one response per request, in order. */
  syncUsers(
    updates: AsyncIterable<{ userId: string; changes: UserChanges }> | Iterable<{ userId: string; changes: UserChanges }>,
    options?: UserCallOptions,
  ): AsyncIterable<SyncUsersResponse>;
  /**
   * Refuses new calls at once. A client made from transport options closes
   * its transport: calls in flight get `graceMs` (default 5 s) to finish,
   * then are cancelled, and every connection is released. A client on a
   * transport you passed cancels its calls in flight at once and leaves the transport open.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** What the runtime's entry adds to every client. */
export interface UserClientRuntime {
  /**
   * Called with the client's lifetime signal, which every call in flight
   * listens to. Node warns of a "possible EventTarget memory leak" past 10
   * listeners on one signal; its entry lifts that limit for this signal only.
   */
  shareSignal?: (signal: AbortSignal) => void;
}

/**
 * Creates a UserService client on a transport (or on transport options, for
 * which `makeTransport` builds one). Every error is a typed ConnectError
 * subclass (NotFoundError, InvalidArgumentError, ...).
 */
export function createUserClient(
  transportOrOptions: Transport | TransportOptions,
  makeTransport?: (options: TransportOptions) => Transport,
  runtime: UserClientRuntime = {},
): UserClient {
  const owned = !isTransport(transportOrOptions);
  const transport = isTransport(transportOrOptions) ? transportOrOptions : requireFactory(makeTransport)(transportOrOptions);
  const client = createClient(UserService, transport);
  const streamsCancel = cancelsStreamsOnReturn(transport);
  const lifetime = new AbortController();
  runtime.shareSignal?.(lifetime.signal);
  let closing: Promise<void> | undefined;

  const callOptions = (options: UserCallOptions = {}, retryable = false): CallOptions => {
    if (closing !== undefined || lifetime.signal.aborted) throw toTypedError(new ConnectError("client is closed", Code.Canceled));
    const signal = options.signal ? AbortSignal.any([options.signal, lifetime.signal]) : lifetime.signal;
    const contextValues = createContextValues();
    if (retryable) contextValues.set(retryableCallKey, true);
    return {
      signal,
      contextValues,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.headers !== undefined && { headers: options.headers }),
    };
  };
  /** Runs one call with its errors typed, and `pick`s what the method returns from the response (one async function per call). */
  async function typed<R>(call: () => Promise<R>): Promise<R>;
  async function typed<R, T>(call: () => Promise<R>, pick: (response: R) => T): Promise<T>;
  async function typed<R, T>(call: () => Promise<R>, pick?: (response: R) => T): Promise<R | T> {
    try {
      const response = await call();
      return pick === undefined ? response : pick(response);
    } catch (e) {
      // The transport typed it already, with its own retryable codes: keep that.
      throw e instanceof TypedConnectError ? e : toTypedError(e);
    }
  }
  const toCreateRequest = (u: NewUserInput) => ({
    email: u.email,
    name: u.name,
    age: u.age ?? 0,
    roles: u.roles ?? [],
    password: u.password ?? "",
    requestId: u.requestId ?? crypto.randomUUID(),
  });

  const self: UserClient = {
    getUser: (userId, options) => typed(() => client.getUser({ userId }, callOptions(options)), userOf),

    // The request_id makes CreateUser safe to retry, so this call opts in.
    createUser: (user, options) => typed(() => client.createUser(toCreateRequest(user), callOptions(options, true)), userOf),

    updateUser: (userId, changes, options) =>
      typed(
        () => client.updateUser({ user: { id: userId, ...changes }, updateMask: { paths: updateMaskFor(changes) } }, callOptions(options)),
        userOf,
      ),

    deleteUser: (userId, options) => typed(() => client.deleteUser({ userId }, callOptions(options)), nothing),

    listUsers: (request = {}, options) => typed(() => client.listUsers(request, callOptions(options))),

    async *users(filter = "", options = {}) {
      let pageToken = "";
      do {
        const page = await self.listUsers(
          { filter, pageToken, ...(options.pageSize !== undefined && { pageSize: options.pageSize }) },
          options,
        );
        yield* page.users;
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
    },

    async getUsers(userIds, options = {}) {
      const results: PromiseSettledResult<User>[] = new Array(userIds.length);
      let next = 0;
      const worker = async () => {
        while (next < userIds.length) {
          const i = next++;
          results[i] = await self.getUser(userIds[i]!, options).then(
            (value) => ({ status: "fulfilled", value }) as const,
            (reason: unknown) => ({ status: "rejected", reason }) as const,
          );
        }
      };
      const concurrency = Math.max(1, Math.min(options.concurrency ?? 16, userIds.length));
      await Promise.all(Array.from({ length: concurrency }, worker));
      return results;
    },

    // The closed check runs at the first read, so that a closed client fails
    // the iteration like every other method fails its promise.
    watchUsers: (request = {}, options = {}) =>
      watchWithResume(
        () => {
          const base = callOptions(options);
          return {
            signal: base.signal!,
            cancelsOnReturn: streamsCancel,
            open: (sinceSequence, signal) =>
              openServerStream(
                transport,
                UserService.method.watchUsers,
                { userIds: request.userIds ?? [], sinceSequence },
                { ...base, signal },
              ),
          };
        },
        request.sinceSequence ?? 0n,
        options,
      ),

    bulkCreateUsers: (users, options = {}) =>
      typed(async () => {
        let sent = 0;
        const requests = (async function* () {
          for await (const user of users) {
            yield toCreateRequest(user);
            options.onProgress?.(++sent);
          }
        })();
        const res = await client.bulkCreateUsers(requests, callOptions(options));
        return { createdCount: res.createdCount, userIds: res.userIds, failures: res.failures };
      }),

    async *syncUsers(updates, options) {
      const requests = (async function* (): AsyncGenerator<MessageInitShape<typeof SyncUsersRequestSchema>> {
        let index = 0;
        for await (const item of updates) {
          const subject = `syncUsers update ${index++}`;
          if (typeof item?.userId !== "string") throw new ConnectError(`${subject} has no userId string`, Code.InvalidArgument);
          const paths = updateMaskFor(item.changes, `${subject}: changes`);
          yield { user: { id: item.userId, ...item.changes }, updateMask: { paths } };
        }
      })();
      // Connect's stream iterables ignore return(): abort the call when the
      // caller stops reading, so the stream does not stay open on the server.
      const stopped = new AbortController();
      const base = callOptions(options);
      try {
        yield* client.syncUsers(requests, { ...base, signal: AbortSignal.any([base.signal!, stopped.signal]) });
      } catch (e) {
        throw toTypedError(e);
      } finally {
        stopped.abort(new ConnectError("stopped reading SyncUsers responses", Code.Canceled));
      }
    },

    close(options = {}) {
      closing ??= (async () => {
        // A transport made from options is ours: close it gracefully, which
        // lets calls in flight finish within the grace period and frees its sockets.
        const closable = transport as Partial<{ close(o: { graceMs?: number }): Promise<void> }>;
        if (owned && typeof closable.close === "function") await closable.close(options);
        lifetime.abort(new ConnectError("client is closed", Code.Canceled));
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return self.close();
    },
  };
  return self;
}

function isTransport(value: Transport | TransportOptions): value is Transport {
  return typeof (value as Transport).unary === "function" && typeof (value as Transport).stream === "function";
}

function requireFactory(make: ((options: TransportOptions) => Transport) | undefined) {
  if (!make) throw new ConnectError("createUserClient needs a Transport here; pass createTransport(options)", Code.InvalidArgument);
  return make;
}

/** The user a GetUser, CreateUser or UpdateUser response carries (always set by the service). */
function userOf(response: { user?: User }): User {
  return response.user!;
}

function nothing(): void {}
