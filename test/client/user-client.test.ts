import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { UpdateUserRequest } from "../../gen/user/v1/user_service_pb.js";
import type { UserCallOptions } from "../../src/client/index.js";
import { CanceledError, DeadlineExceededError, NotFoundError } from "../../src/errors/index.js";
import { createUserClient, type NewUserInput, type UserClient } from "../../src/users/node.js";
import { type Fault, fault, useFaultyServers } from "../helpers/fault-interceptor.js";
import { eventually, rejection, TEST_TOKEN } from "../helpers/test-server.js";

const startFaulty = useFaultyServers();

async function serve(...faults: Fault[]) {
  const { s, faults: f } = await startFaulty(faults);
  const users = createUserClient({ baseUrl: s.url, auth: TEST_TOKEN });
  return { s, faults: f, users };
}

async function drain<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function* generate<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) {
    await new Promise((r) => setTimeout(r, 1));
    yield item;
  }
}

const ada: NewUserInput = { email: "ada@example.com", name: "Ada", age: 36, roles: ["admin"] };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("createUserClient against the reference server", () => {
  it("gets a user it created", async () => {
    const { users } = await serve();
    const created = await users.createUser(ada);
    expect(await users.getUser(created.id)).toEqual(created);
  });

  it("creates a user with a generated request_id, and respects a given one", async () => {
    const { users, faults } = await serve();
    await users.createUser(ada);
    const first = await users.createUser({ email: "bob@example.com", name: "Bob", requestId: "req-bob" });
    const again = await users.createUser({ email: "bob@example.com", name: "Bob", requestId: "req-bob" });
    expect(again.id).toBe(first.id);
    const requestIds = faults.attemptsOf("CreateUser").map((a) => (a.message as { requestId: string }).requestId);
    expect(requestIds[0]).toMatch(uuid);
    expect(requestIds.slice(1)).toEqual(["req-bob", "req-bob"]);
  });

  it("retries a create whose response was lost without creating a duplicate", async () => {
    const { s, users, faults } = await serve(fault.loseResponse("CreateUser", { times: 1 }));
    const created = await users.createUser(ada);
    expect(created.email).toBe("ada@example.com");
    const attempts = faults.attemptsOf("CreateUser");
    expect(attempts.map((a) => a.header.get("grpc-previous-rpc-attempts"))).toEqual([null, "1"]);
    const [first, second] = attempts.map((a) => (a.message as { requestId: string }).requestId);
    expect(second).toBe(first);
    expect((await users.listUsers()).totalSize).toBe(1);
    expect((await s.server.repository.list({}, 0, 10)).users.map((u) => u.id)).toEqual([created.id]);
  });

  it("updates only the fields given: age alone changes age alone", async () => {
    const { users, faults } = await serve();
    const created = await users.createUser(ada);
    const updated = await users.updateUser(created.id, { age: 37 });
    expect(updated).toMatchObject({ email: "ada@example.com", name: "Ada", age: 37, roles: ["admin"] });
    expect((faults.attemptsOf("UpdateUser")[0]!.message as UpdateUserRequest).updateMask?.paths).toEqual(["age"]);
  });

  it("deletes a user, after which getUser is a NotFoundError", async () => {
    const { users } = await serve();
    const created = await users.createUser(ada);
    await users.deleteUser(created.id);
    expect(await rejection(users.getUser(created.id))).toBeInstanceOf(NotFoundError);
  });

  it("lists one page of users", async () => {
    const { users } = await serve();
    for (const name of ["A", "B", "C"]) await users.createUser({ email: `${name}@example.com`, name });
    const page = await users.listUsers({ pageSize: 2 });
    expect(page.users.map((u) => u.name)).toEqual(["A", "B"]);
    expect(page.totalSize).toBe(3);
    expect(page.nextPageToken).not.toBe("");
  });

  it("iterates every page of a filtered listing", async () => {
    const { users, faults } = await serve();
    const staff = Array.from({ length: 120 }, (_, i) => ({ email: `s${i}@example.com`, name: `S${i}`, roles: ["staff"] }));
    const others = Array.from({ length: 10 }, (_, i) => ({ email: `o${i}@example.com`, name: `O${i}` }));
    expect((await users.bulkCreateUsers([...staff, ...others])).createdCount).toBe(130);
    const seen = await drain(users.users("role=staff", { pageSize: 50 }));
    expect(seen.map((u) => u.email)).toEqual(staff.map((u) => u.email));
    expect(faults.attemptsOf("ListUsers")).toHaveLength(3);
  });

  it("gets many users with one settled result per id, in order", async () => {
    const { users } = await serve();
    const a = await users.createUser(ada);
    const b = await users.createUser({ email: "bob@example.com", name: "Bob" });
    const results = await users.getUsers([b.id, "u-missing", a.id]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(results[0]).toEqual({ status: "fulfilled", value: b });
    expect(results[2]).toEqual({ status: "fulfilled", value: a });
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
  });

  it.each([
    ["an array", (items: NewUserInput[]) => items],
    ["an async generator", (items: NewUserInput[]) => generate(items)],
  ] as const)("bulk-creates users from %s, reporting progress per item and every failure", async (_, source) => {
    const { users } = await serve();
    const progress: number[] = [];
    const result = await users.bulkCreateUsers(
      source([ada, { email: "not-an-email", name: "X" }, { email: "bob@example.com", name: "Bob" }]),
      { onProgress: (sent) => progress.push(sent) },
    );
    expect(progress).toEqual([1, 2, 3]);
    expect(result.createdCount).toBe(2);
    expect(result.userIds).toHaveLength(2);
    expect(result.failures.map((f) => [f.index, f.code])).toEqual([[1, Code.InvalidArgument]]);
    expect(result.failures[0]?.message).toContain("email");
  });

  it("runs 40 calls at once without Node's 'possible EventTarget memory leak' warning", async () => {
    const { users } = await serve();
    const a = await users.createUser(ada);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      const results = await users.getUsers(
        Array.from({ length: 40 }, () => a.id),
        { concurrency: 40 },
      );
      expect(results.every((r) => r.status === "fulfilled")).toBe(true);
      await new Promise((r) => setTimeout(r, 20)); // warnings are emitted on a later tick
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning"))).toEqual([]);
  });

  it("syncs updates with one response per request, in order", async () => {
    const { users } = await serve();
    const a = await users.createUser(ada);
    const responses = await drain(
      users.syncUsers(
        generate([
          { userId: a.id, changes: { name: "Ada L." } },
          { userId: "u-missing", changes: { age: 3 } },
          { userId: a.id, changes: { age: 40 } },
        ]),
      ),
    );
    expect(responses.map((r) => [Number(r.index), r.code, r.user?.name, r.user?.age])).toEqual([
      [0, 0, "Ada L.", 36],
      [1, Code.NotFound, undefined, undefined],
      [2, 0, "Ada L.", 40],
    ]);
  });

  it("fails a sync whose update a plain JavaScript caller left malformed with an InvalidArgumentError naming it", async () => {
    const { users } = await serve();
    const a = await users.createUser(ada);
    const malformed = [{ userId: a.id, changes: { name: "Ada L." } }, { userId: a.id }] as unknown as {
      userId: string;
      changes: { name: string };
    }[];
    const error = await drain(users.syncUsers(generate(malformed))).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("syncUsers update 1: changes must be an object"),
    });
    const noId = [{ changes: { age: 3 } }] as unknown as { userId: string; changes: { age: number } }[];
    await expect(drain(users.syncUsers(noId))).rejects.toMatchObject({ rawMessage: "syncUsers update 0 has no userId string" });
  });

  it("ends the SyncUsers stream on the server when the caller stops reading", async () => {
    const { s, users } = await serve();
    const a = await users.createUser(ada);
    async function* endless() {
      for (let age = 1; ; age++) {
        yield { userId: a.id, changes: { age } };
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    for await (const response of users.syncUsers(endless())) {
      if (response.index === 2n) break;
    }
    await eventually(() => s.server.activeCalls().streams === 0, "the server stream to end");
  });

  it("cancels calls still in flight when close()'s grace period ends, and refuses new ones without a request", async () => {
    const { users, faults } = await serve(fault.stall("GetUser", { ms: 10_000 }));
    const inFlight = users.getUser("u-1");
    const watching = drain(users.watchUsers());
    await eventually(() => faults.attempts.length === 2, "both calls to reach the server");
    const started = performance.now();
    await users.close({ graceMs: 100 });
    expect(await rejection(inFlight)).toBeInstanceOf(CanceledError);
    expect(await rejection(watching)).toBeInstanceOf(CanceledError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(performance.now() - started).toBeLessThan(600);
    const refused = await rejection(users.getUser("u-1"));
    expect(refused).toBeInstanceOf(CanceledError);
    expect(refused.rawMessage).toBe("client is closed");
    expect(await rejection(drain(users.watchUsers()))).toBeInstanceOf(CanceledError);
    expect(await rejection(users.bulkCreateUsers([ada]))).toBeInstanceOf(CanceledError);
    expect(faults.attempts).toHaveLength(2);
  });

  it("closes itself gracefully at the end of an await using block: the call in flight still gets its answer", async () => {
    const { s, faults } = await serve(fault.stall("GetUser", { ms: 200 }));
    let inFlight: Promise<unknown>;
    let closed: UserClient;
    {
      await using users = createUserClient({ baseUrl: s.url, auth: TEST_TOKEN });
      closed = users;
      inFlight = users.getUser("u-1");
      await eventually(() => faults.attempts.length === 1, "the call to reach the server");
    }
    expect(await rejection(inFlight)).toBeInstanceOf(NotFoundError);
    const refused = await rejection(closed.getUser("u-1"));
    expect(refused).toBeInstanceOf(CanceledError);
    expect(refused.rawMessage).toBe("client is closed");
    expect(faults.attempts).toHaveLength(1);
  });
});

/** Each client method, how to call it, and the server method it reaches first. */
const methods: [string, string, (u: UserClient, o: UserCallOptions) => Promise<unknown>][] = [
  ["getUser", "GetUser", (u, o) => u.getUser("u-1", o)],
  ["createUser", "CreateUser", (u, o) => u.createUser(ada, o)],
  ["updateUser", "UpdateUser", (u, o) => u.updateUser("u-1", { age: 1 }, o)],
  ["deleteUser", "DeleteUser", (u, o) => u.deleteUser("u-1", o)],
  ["listUsers", "ListUsers", (u, o) => u.listUsers({}, o)],
  ["users", "ListUsers", (u, o) => drain(u.users("", o))],
  [
    "getUsers",
    "GetUser",
    async (u, o) => {
      const [result] = await u.getUsers(["u-1"], o);
      if (result?.status === "rejected") throw result.reason;
      return result?.value;
    },
  ],
  [
    "watchUsers",
    "WatchUsers",
    (u, o) => drain(u.watchUsers({}, { ...(o.signal && { signal: o.signal }), ...(o.headers && { headers: o.headers }) })),
  ],
  ["bulkCreateUsers", "BulkCreateUsers", (u, o) => u.bulkCreateUsers([ada], o)],
  ["syncUsers", "SyncUsers", (u, o) => drain(u.syncUsers([{ userId: "u-1", changes: { age: 1 } }], o))],
];

describe("every createUserClient method", () => {
  it.each(methods)("%s ends with a CanceledError when its signal aborts", async (_, serverMethod, call) => {
    const { users, faults } = await serve(fault.stall(serverMethod, { ms: 10_000 }));
    const controller = new AbortController();
    const pending = call(users, { signal: controller.signal });
    await eventually(() => faults.attemptsOf(serverMethod).length > 0, `${serverMethod} to reach the server`);
    controller.abort();
    expect(await rejection(pending)).toBeInstanceOf(CanceledError);
  });

  it.each(methods.filter(([name]) => name !== "watchUsers"))(
    "%s ends with a DeadlineExceededError at its timeoutMs",
    async (_, serverMethod, call) => {
      const { users } = await serve(fault.stall(serverMethod, { ms: 10_000 }));
      const started = performance.now();
      expect(await rejection(call(users, { timeoutMs: 150 }))).toBeInstanceOf(DeadlineExceededError);
      expect(performance.now() - started).toBeLessThan(150 * 1.1 + 50);
    },
  );

  it.each(methods)("%s sends its headers", async (_, serverMethod, call) => {
    const { users, faults } = await serve(fault.fail(serverMethod, { code: Code.FailedPrecondition }));
    await call(users, { headers: { "x-call": "mine" } }).catch(() => undefined);
    expect(faults.attemptsOf(serverMethod)[0]?.header.get("x-call")).toBe("mine");
  });
});
