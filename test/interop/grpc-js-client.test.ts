import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { eventually, type RunningServer, startServer, TEST_TOKEN } from "../helpers/test-server.js";
import {
  createGrpcJsUserClient,
  type GrpcJsListUsersResponse,
  type GrpcJsSyncUsersResponse,
  type GrpcJsUser,
  type GrpcJsUserClient,
  type GrpcJsUserResponse,
  type GrpcJsBulkCreateUsersResponse,
} from "./grpc-js/user-service-client.js";

// A @grpc/grpc-js client, built only from our .proto file, calls every RPC of
// the reference server: auth, typed errors with their google.rpc details, and
// all four streaming shapes, as a Node team not using our library sees them.

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;

/** A unary call as a promise; it rejects with the grpc-js ServiceError. */
function unary<T>(start: (callback: Callback<T>) => unknown): Promise<T> {
  return new Promise((resolve, reject) => start((error, response) => (error ? reject(error) : resolve(response!))));
}

/** The ServiceError a call fails with (fails the test if it succeeds). */
async function failure(call: Promise<unknown>): Promise<grpc.ServiceError> {
  const outcome = await call.then(
    () => undefined,
    (e: unknown) => e as grpc.ServiceError,
  );
  if (outcome === undefined) throw new Error("expected the call to fail, but it succeeded");
  return outcome;
}

/** The first `count` messages of a response stream; rejects with the stream's error. */
function take<T>(stream: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<object, T>, count: number): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on("data", (item: T) => {
      items.push(item);
      if (items.length === count) resolve(items);
    });
    stream.on("error", reject);
    stream.on("end", () => resolve(items));
  });
}

/** The status a stream ends with (its 'error' is that status, so it is not thrown). */
function finalStatus(stream: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<object, unknown>): Promise<grpc.StatusObject> {
  stream.on("error", () => {});
  return new Promise((resolve) => stream.on("status", resolve));
}

function withToken(token = TEST_TOKEN): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

let unique = 0;
const newUser = (label: string) => ({ email: `${label}-${process.pid}-${++unique}@example.com`, name: label });

describe("the grpc-js client against our server", () => {
  let s: RunningServer | undefined;
  let client: GrpcJsUserClient;
  const create = async (label: string): Promise<GrpcJsUser> =>
    (await unary<GrpcJsUserResponse>((cb) => client.CreateUser(newUser(label), withToken(), cb))).user!;

  beforeAll(async () => {
    s = await startServer();
    client = createGrpcJsUserClient(new URL(s.url).host);
  });

  afterAll(async () => {
    client?.close();
    await s?.server.close();
  });

  it("creates a user without a token, CreateUser being public", async () => {
    const response = await unary<GrpcJsUserResponse>((cb) => client.CreateUser(newUser("public"), new grpc.Metadata(), cb));
    expect(response.user).toMatchObject({ name: "public", status: "USER_STATUS_ACTIVE" });
    expect(response.user?.id).not.toBe("");
    expect(Number(response.user?.createTime?.seconds)).toBeGreaterThan(0);
  });

  it("gets the user back with its bearer token", async () => {
    const user = await create("get");
    const response = await unary<GrpcJsUserResponse>((cb) => client.GetUser({ userId: user.id }, withToken(), cb));
    expect(response.user).toEqual(user);
  });

  it("fails GetUser without a token, or with a wrong one, with UNAUTHENTICATED", async () => {
    const user = await create("auth");
    for (const metadata of [new grpc.Metadata(), withToken("wrong-token")]) {
      const error = await failure(unary((cb) => client.GetUser({ userId: user.id }, metadata, cb)));
      expect([error.code, error.details]).toEqual([grpc.status.UNAUTHENTICATED, "invalid token"]);
    }
  });

  it("fails GetUser for an unknown id with NOT_FOUND naming the id", async () => {
    const error = await failure(unary((cb) => client.GetUser({ userId: "no-such-user" }, withToken(), cb)));
    expect([error.code, error.details]).toEqual([grpc.status.NOT_FOUND, "user no-such-user not found"]);
  });

  it("fails an invalid CreateUser with INVALID_ARGUMENT and a BadRequest in grpc-status-details-bin", async () => {
    const error = await failure(unary((cb) => client.CreateUser({ email: "not-an-email", name: "" }, withToken(), cb)));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    const [details] = error.metadata.get("grpc-status-details-bin");
    expect(details, "the grpc-status-details-bin trailer").toBeInstanceOf(Buffer);
    const status = fromBinary(StatusSchema, details as Buffer);
    // grpc-js decodes grpc-message with decodeURI; the server sends the minimal
    // encoding the gRPC spec asks for, so grpc-js users read the message as is.
    expect([status.code, status.message]).toEqual([error.code, error.details]);
    expect(error.details).toMatch(/^invalid argument: email: must contain "@"; /);
    const badRequest = status.details.map((d) => anyUnpack(d, BadRequestSchema)).find((d) => d !== undefined);
    expect(badRequest?.fieldViolations.map((v) => v.field)).toEqual(["email", "name"]);
  });

  it("pages through ListUsers with next_page_token", async () => {
    const role = `grpc-js-page-${process.pid}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const request = { ...newUser(`page${i}`), roles: [role] };
      ids.push((await unary<GrpcJsUserResponse>((cb) => client.CreateUser(request, withToken(), cb))).user!.id);
    }
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await unary<GrpcJsListUsersResponse>((cb) =>
        client.ListUsers({ pageSize: 2, pageToken, filter: `role=${role}` }, withToken(), cb),
      );
      expect(page.totalSize).toBe(3);
      seen.push(...page.users.map((u) => u.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen).toEqual(ids);
    const error = await failure(unary((cb) => client.ListUsers({ pageSize: -1 }, withToken(), cb)));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it("updates only the fields named by the FieldMask, and rejects an empty mask", async () => {
    const user = await create("update");
    const request = { user: { id: user.id, name: "Renamed", email: "ignored@example.com" }, updateMask: { paths: ["name"] } };
    const updated = await unary<GrpcJsUserResponse>((cb) => client.UpdateUser(request, withToken(), cb));
    expect(updated.user).toMatchObject({ id: user.id, name: "Renamed", email: user.email });
    const error = await failure(
      unary((cb) => client.UpdateUser({ user: { id: user.id, name: "X" }, updateMask: { paths: [] } }, withToken(), cb)),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it("deletes a user, after which GetUser and DeleteUser are NOT_FOUND", async () => {
    const user = await create("delete");
    await unary((cb) => client.DeleteUser({ userId: user.id }, withToken(), cb));
    expect((await failure(unary((cb) => client.GetUser({ userId: user.id }, withToken(), cb)))).code).toBe(grpc.status.NOT_FOUND);
    expect((await failure(unary((cb) => client.DeleteUser({ userId: user.id }, withToken(), cb)))).code).toBe(grpc.status.NOT_FOUND);
  });

  it("streams WatchUsers events for the users asked for, until the client cancels", async () => {
    await create("watch-earlier"); // so the watched user's events come after sequence 1
    const user = await create("watch");
    const other = await create("watch-other");
    const stream = client.WatchUsers({ userIds: [user.id], sinceSequence: "1" }, withToken());
    const status = finalStatus(stream);
    const events = take(stream, 2);
    await unary((cb) => client.UpdateUser({ user: { id: other.id, name: "Other" }, updateMask: { paths: ["name"] } }, withToken(), cb));
    await unary((cb) => client.UpdateUser({ user: { id: user.id, name: "Watched" }, updateMask: { paths: ["name"] } }, withToken(), cb));
    const [created, updated] = await events;
    expect([created?.type, created?.user?.id]).toEqual(["USER_EVENT_TYPE_CREATED", user.id]);
    expect([updated?.type, updated?.user?.name]).toEqual(["USER_EVENT_TYPE_UPDATED", "Watched"]);
    expect(BigInt(updated!.sequence)).toBeGreaterThan(BigInt(created!.sequence));
    stream.cancel();
    expect((await status).code).toBe(grpc.status.CANCELLED);
  });

  it("fails WatchUsers with OUT_OF_RANGE ahead of the log and UNAUTHENTICATED without a token", async () => {
    const ahead = await take(client.WatchUsers({ sinceSequence: "1000000000000" }, withToken()), 1).catch((e: grpc.ServiceError) => e);
    expect((ahead as grpc.ServiceError).code).toBe(grpc.status.OUT_OF_RANGE);
    const anonymous = await take(client.WatchUsers({}, new grpc.Metadata()), 1).catch((e: grpc.ServiceError) => e);
    expect((anonymous as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it("reports each failed BulkCreateUsers item with its index and code", async () => {
    const good = newUser("bulk");
    const response = await unary<GrpcJsBulkCreateUsersResponse>((cb) => {
      const stream = client.BulkCreateUsers(withToken(), cb);
      for (const request of [good, { email: "invalid", name: "Bad" }, { ...good, email: good.email.toUpperCase() }, newUser("bulk2")]) {
        stream.write(request);
      }
      stream.end();
    });
    expect(response.createdCount).toBe(2);
    expect(response.userIds).toHaveLength(2);
    expect(response.failures.map((f) => [f.index, f.code])).toEqual([
      [1, grpc.status.INVALID_ARGUMENT],
      [2, grpc.status.ALREADY_EXISTS],
    ]);
  });

  it("answers each SyncUsers request in order, one response before the next request", async () => {
    const user = await create("sync");
    const stream = client.SyncUsers(withToken());
    const status = finalStatus(stream);
    const responses: GrpcJsSyncUsersResponse[] = [];
    const requests = [
      { user: { id: user.id, name: "Synced" }, updateMask: { paths: ["name"] } },
      { user: { id: "no-such-user", name: "Ghost" }, updateMask: { paths: ["name"] } },
      { user: { id: user.id, age: 7 }, updateMask: { paths: ["age"] } },
    ];
    const next = () => new Promise<GrpcJsSyncUsersResponse>((resolve) => stream.once("data", resolve));
    for (const request of requests) {
      const reply = next();
      stream.write(request);
      responses.push(await reply);
    }
    stream.end();
    expect((await status).code).toBe(grpc.status.OK);
    expect(responses.map((r) => [r.index, r.code])).toEqual([
      ["0", grpc.status.OK],
      ["1", grpc.status.NOT_FOUND],
      ["2", grpc.status.OK],
    ]);
    expect(responses[2]?.user).toMatchObject({ name: "Synced", age: 7 });
  });

  it("leaves no call open on the server once the client is done", async () => {
    await eventually(() => {
      const active = s!.server.activeCalls();
      return active.unary === 0 && active.streams === 0;
    }, "the server's calls to end");
  });
});
