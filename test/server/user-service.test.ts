import { create, toJsonString } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CreateUserResponseSchema, UserEventType, UserStatus, type WatchUsersResponse } from "../../gen/user/v1/user_service_pb.js";
import { protocolCases, rejection, type RunningServer, startServer, streamOf } from "../helpers/test-server.js";

const violations = (e: ConnectError) => e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));

describe.each(protocolCases)("UserService over $name", (protocol) => {
  let s: RunningServer;
  beforeEach(async () => {
    s = await startServer(protocol);
  });
  afterEach(async () => {
    await s.server.close();
  });

  const createAda = () =>
    s.users.createUser({ email: "ada@example.com", name: "Ada", age: 36, roles: ["admin"], password: "hunter2" }, s.auth);

  it("creates a user that GetUser returns, active, with timestamps and without the password", async () => {
    const { user } = await createAda();
    expect(user).toMatchObject({ email: "ada@example.com", name: "Ada", age: 36, roles: ["admin"], status: UserStatus.ACTIVE });
    expect(user?.id).not.toBe("");
    expect(user?.createTime).toBeDefined();
    expect(toJsonString(CreateUserResponseSchema, { $typeName: "user.v1.CreateUserResponse", user: user! })).not.toContain("hunter2");
    const got = await s.users.getUser({ userId: user!.id }, s.auth);
    expect(got.user).toEqual(user);
  });

  it("answers GetUser for an unknown id with NOT_FOUND naming the id", async () => {
    const e = await rejection(s.users.getUser({ userId: "u-42" }, s.auth));
    expect(e.code).toBe(Code.NotFound);
    expect(e.rawMessage).toBe("user u-42 not found");
  });

  it.each([
    ["an email without @", { email: "nobody", name: "N" }, ["email"]],
    ["an email over 254 characters", { email: `a@${"b".repeat(253)}`, name: "N" }, ["email"]],
    ["an empty name", { email: "n@example.com", name: "" }, ["name"]],
    ["a name over 200 characters", { email: "n@example.com", name: "n".repeat(201) }, ["name"]],
    ["both fields wrong", { email: "x", name: "" }, ["email", "name"]],
  ])("rejects a create with %s as INVALID_ARGUMENT naming the field", async (_, req, fields) => {
    const e = await rejection(s.users.createUser(req, s.auth));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(violations(e)).toEqual(fields);
    for (const field of fields) expect(e.rawMessage).toContain(field);
  });

  it("accepts an email of exactly 254 characters and a name of 200", async () => {
    const { user } = await s.users.createUser({ email: `a@${"b".repeat(252)}`, name: "n".repeat(200) }, s.auth);
    expect(user?.email).toHaveLength(254);
  });

  it("rejects a second user with the same email (any case) as ALREADY_EXISTS", async () => {
    await createAda();
    const e = await rejection(s.users.createUser({ email: "ADA@example.com", name: "Other" }, s.auth));
    expect(e.code).toBe(Code.AlreadyExists);
  });

  it("returns the first user again for a repeated request_id instead of creating another", async () => {
    const first = await s.users.createUser({ email: "r@example.com", name: "R", requestId: "req-1" }, s.auth);
    const again = await s.users.createUser({ email: "r@example.com", name: "R", requestId: "req-1" }, s.auth);
    expect(again.user?.id).toBe(first.user?.id);
    expect((await s.users.listUsers({}, s.auth)).totalSize).toBe(1);
  });

  it("lists users in creation order, page by page, with total_size and an opaque token", async () => {
    for (let i = 0; i < 5; i++) await s.users.createUser({ email: `u${i}@example.com`, name: `U${i}` }, s.auth);
    const first = await s.users.listUsers({ pageSize: 2 }, s.auth);
    expect(first.users.map((u) => u.name)).toEqual(["U0", "U1"]);
    expect(first.totalSize).toBe(5);
    const second = await s.users.listUsers({ pageSize: 2, pageToken: first.nextPageToken }, s.auth);
    expect(second.users.map((u) => u.name)).toEqual(["U2", "U3"]);
    const last = await s.users.listUsers({ pageSize: 2, pageToken: second.nextPageToken }, s.auth);
    expect(last.users.map((u) => u.name)).toEqual(["U4"]);
    expect(last.nextPageToken).toBe("");
  });

  it("keeps paging stable when a user of an earlier page is deleted", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await s.users.createUser({ email: `u${i}@example.com`, name: `U${i}` }, s.auth)).user!.id);
    const first = await s.users.listUsers({ pageSize: 2 }, s.auth);
    await s.users.deleteUser({ userId: ids[0]! }, s.auth);
    const second = await s.users.listUsers({ pageSize: 2, pageToken: first.nextPageToken }, s.auth);
    expect(second.users.map((u) => u.name)).toEqual(["U2", "U3"]);
  });

  it("filters by status, role and email, ANDed", async () => {
    await s.users.createUser({ email: "a@example.com", name: "A", roles: ["admin", "dev"] }, s.auth);
    const { user: b } = await s.users.createUser({ email: "b@example.com", name: "B", roles: ["admin"] }, s.auth);
    await s.users.createUser({ email: "c@example.com", name: "C", roles: ["dev"] }, s.auth);
    await s.users.updateUser({ user: { id: b!.id, status: UserStatus.SUSPENDED }, updateMask: { paths: ["status"] } }, s.auth);
    const names = async (filter: string) => (await s.users.listUsers({ filter }, s.auth)).users.map((u) => u.name);
    expect(await names("role=admin")).toEqual(["A", "B"]);
    expect(await names("role=admin status=USER_STATUS_ACTIVE")).toEqual(["A"]);
    expect(await names("status=USER_STATUS_SUSPENDED")).toEqual(["B"]);
    expect(await names("role=admin role=dev")).toEqual(["A"]);
    expect(await names("email=c@example.com")).toEqual(["C"]);
    expect((await s.users.listUsers({ filter: "role=dev" }, s.auth)).totalSize).toBe(2);
  });

  it.each([
    ["an unknown field", "age=3"],
    ["a term without =", "admin"],
    ["an unknown status", "status=HAPPY"],
  ])("rejects a filter with %s as INVALID_ARGUMENT", async (_, filter) => {
    const e = await rejection(s.users.listUsers({ filter }, s.auth));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toContain("invalid filter");
  });

  it("rejects a page_token it did not issue, or one issued for another filter", async () => {
    for (let i = 0; i < 3; i++) await s.users.createUser({ email: `u${i}@example.com`, name: `U${i}`, roles: ["dev"] }, s.auth);
    const forged = await rejection(s.users.listUsers({ pageToken: "MQ.AAAAAAAAAAAAAAAAAAAAAA" }, s.auth));
    expect(forged.code).toBe(Code.InvalidArgument);
    expect(forged.rawMessage).toContain("page_token");
    const { nextPageToken } = await s.users.listUsers({ pageSize: 1 }, s.auth);
    const other = await rejection(s.users.listUsers({ pageSize: 1, pageToken: nextPageToken, filter: "role=dev" }, s.auth));
    expect(other.code).toBe(Code.InvalidArgument);
  });

  it("uses 50 for page_size 0 and at most 1000", async () => {
    for (let i = 0; i < 1005; i++)
      await s.server.repository.create({ email: `u${i}@example.com`, name: `U${i}`, age: 0, roles: [], password: "" }, "");
    expect((await s.users.listUsers({}, s.auth)).users).toHaveLength(50);
    const big = await s.users.listUsers({ pageSize: 5000 }, s.auth);
    expect(big.users).toHaveLength(1000);
    expect(big.totalSize).toBe(1005);
  });

  it("updates only the fields in the update mask", async () => {
    const { user } = await createAda();
    const { user: updated } = await s.users.updateUser(
      {
        user: { id: user!.id, name: "Ada L.", age: 99, status: UserStatus.INACTIVE },
        updateMask: create(FieldMaskSchema, { paths: ["name", "status"] }),
      },
      s.auth,
    );
    expect(updated).toMatchObject({ name: "Ada L.", age: 36, status: UserStatus.INACTIVE, email: "ada@example.com" });
  });

  it.each([
    ["an empty mask", [], {}, "update_mask"],
    ["an unknown path", ["password"], {}, "update_mask"],
    ["an invalid email", ["email"], { email: "nope" }, "user.email"],
    ["an empty name", ["name"], { name: "" }, "user.name"],
    ["an unspecified status", ["status"], { status: UserStatus.UNSPECIFIED }, "user.status"],
  ])("rejects an update with %s as INVALID_ARGUMENT", async (_, paths, fields, field) => {
    const { user } = await createAda();
    const e = await rejection(s.users.updateUser({ user: { id: user!.id, ...fields }, updateMask: { paths } }, s.auth));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(violations(e)).toContain(field);
  });

  it("answers an update of an unknown user with NOT_FOUND and of a taken email with ALREADY_EXISTS", async () => {
    const { user } = await createAda();
    await s.users.createUser({ email: "bob@example.com", name: "Bob" }, s.auth);
    const missing = await rejection(s.users.updateUser({ user: { id: "nope", name: "X" }, updateMask: { paths: ["name"] } }, s.auth));
    expect(missing.code).toBe(Code.NotFound);
    const taken = await rejection(
      s.users.updateUser({ user: { id: user!.id, email: "bob@example.com" }, updateMask: { paths: ["email"] } }, s.auth),
    );
    expect(taken.code).toBe(Code.AlreadyExists);
  });

  it("deletes a user, and a second delete is NOT_FOUND", async () => {
    const { user } = await createAda();
    await s.users.deleteUser({ userId: user!.id }, s.auth);
    expect((await rejection(s.users.getUser({ userId: user!.id }, s.auth))).code).toBe(Code.NotFound);
    const again = await rejection(s.users.deleteUser({ userId: user!.id }, s.auth));
    expect(again.code).toBe(Code.NotFound);
    expect(again.rawMessage).toBe(`user ${user!.id} not found`);
  });

  it("frees the email of a deleted user", async () => {
    const { user } = await createAda();
    await s.users.deleteUser({ userId: user!.id }, s.auth);
    await expect(createAda()).resolves.toBeDefined();
  });

  it("streams events after since_sequence, in order, filtered by user_ids", async () => {
    const { user: a } = await createAda(); // 1
    const { user: b } = await s.users.createUser({ email: "b@example.com", name: "B" }, s.auth); // 2
    await s.users.updateUser({ user: { id: a!.id, age: 1 }, updateMask: { paths: ["age"] } }, s.auth); // 3
    await s.users.deleteUser({ userId: b!.id }, s.auth); // 4
    const abort = new AbortController();
    const events: WatchUsersResponse[] = [];
    const watching = (async () => {
      for await (const e of s.users.watchUsers(
        { sinceSequence: 1n, userIds: [a!.id] },
        { ...s.auth, timeoutMs: 5000, signal: abort.signal },
      )) {
        events.push(e);
        if (e.sequence === 5n) abort.abort();
      }
    })().catch(() => {});
    await s.users.updateUser({ user: { id: a!.id, name: "Ada 2" }, updateMask: { paths: ["name"] } }, s.auth); // 5
    await watching;
    expect(events.map((e) => [e.sequence, e.type])).toEqual([
      [3n, UserEventType.UPDATED],
      [5n, UserEventType.UPDATED],
    ]);
    expect(events[1]?.user?.name).toBe("Ada 2");
    expect(events[1]?.eventTime).toBeDefined();
  });

  it("rejects since_sequence ahead of the newest event as OUT_OF_RANGE", async () => {
    await createAda();
    const e = await rejection(
      (async () => {
        for await (const _ of s.users.watchUsers({ sinceSequence: 99n }, s.auth)) void _;
      })(),
    );
    expect(e.code).toBe(Code.OutOfRange);
  });

  it("reports every failed item of a bulk create with its index and code, creating the rest", async () => {
    await createAda();
    const res = await s.users.bulkCreateUsers(
      streamOf(
        { email: "one@example.com", name: "One" },
        { email: "broken", name: "Two" },
        { email: "ada@example.com", name: "Dup" },
        { email: "four@example.com", name: "Four" },
      ),
      s.auth,
    );
    expect(res.createdCount).toBe(2);
    expect(res.userIds).toHaveLength(2);
    expect(res.failures.map((f) => [f.index, f.code])).toEqual([
      [1, Code.InvalidArgument],
      [2, Code.AlreadyExists],
    ]);
    expect((await s.users.listUsers({}, s.auth)).totalSize).toBe(3);
  });

  // Bidirectional streams need HTTP/2; over HTTP/1.1 the case does not apply.
  if (protocol.bidi)
    it("answers every sync request in order, with a code for the failed ones", async () => {
      const { user } = await createAda();
      const responses = [];
      for await (const r of s.users.syncUsers(
        streamOf(
          { user: { id: user!.id, age: 40 }, updateMask: { paths: ["age"] } },
          { user: { id: "missing", age: 1 }, updateMask: { paths: ["age"] } },
          { user: { id: user!.id, name: "" }, updateMask: { paths: ["name"] } },
          { user: { id: user!.id, roles: ["x"] }, updateMask: { paths: ["roles"] } },
        ),
        s.auth,
      )) {
        responses.push(r);
      }
      expect(responses.map((r) => [r.index, r.code])).toEqual([
        [0n, 0],
        [1n, Code.NotFound],
        [2n, Code.InvalidArgument],
        [3n, 0],
      ]);
      expect(responses[0]?.user?.age).toBe(40);
      expect(responses[3]?.user?.roles).toEqual(["x"]);
      expect(responses[1]?.message).toBe("user missing not found");
    });
});
