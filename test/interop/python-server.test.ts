import { createClient, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { UserEventType, UserService, UserStatus } from "../../gen/user/v1/user_service_pb.js";
import {
  AlreadyExistsError,
  createTransport,
  DeadlineExceededError,
  InvalidArgumentError,
  NotFoundError,
  OutOfRangeError,
  UnauthenticatedError,
  UnavailableError,
} from "../../src/node/index.js";
import { createUserClient, type NewUserInput, type UserClient } from "../../src/users/node.js";
import { eventually } from "../helpers/test-server.js";
import { callsOf, describeWithPython, type PythonServer, START_TIMEOUT_MS, startPythonServer, TOKEN } from "./python-server-process.js";

// Our TypeScript client against an independent grpcio implementation of the
// contract (python/user_server.py): proof that it speaks plain gRPC, decodes
// another stack's rich errors and retries the way gRFC A6 servers expect.

function grpcTransport(url: string, token = TOKEN): Transport {
  return createTransport({ baseUrl: url, protocol: "grpc", auth: token });
}

let unique = 0;
/** A user with an email no other test uses. */
function newUser(label: string, extra: Partial<NewUserInput> = {}): NewUserInput {
  return { email: `${label}-${process.pid}-${++unique}@example.com`, name: label, ...extra };
}

async function collect<T>(source: AsyncIterable<T>, until: (item: T) => boolean): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) {
    items.push(item);
    if (until(item)) break;
  }
  return items;
}

/**
 * A sequence the server's event log has reached. since_sequence 0 means "from
 * now on" and the watch may start after our first change, so change `userId`
 * until a live watch reports an event; no change is in flight when it returns.
 */
async function currentSequence(client: UserClient, userId: string): Promise<bigint> {
  const stop = new AbortController();
  const live = client.watchUsers({ userIds: [userId] }, { signal: stop.signal })[Symbol.asyncIterator]();
  const first = live.next();
  first.catch(() => {}); // after stop.abort() it fails Canceled, which is expected
  try {
    for (let age = 1; age <= 25; age++) {
      await client.updateUser(userId, { age });
      const event = await Promise.race([first, new Promise<undefined>((r) => setTimeout(r, 200))]);
      if (event !== undefined && !event.done) return event.value.sequence;
    }
    throw new Error("the watch reported no event within 5 s");
  } finally {
    stop.abort();
  }
}

describeWithPython("our client against the Python grpcio server", () => {
  describe("calling every RPC", () => {
    let server: PythonServer;
    let transport: Transport;
    let client: UserClient;

    beforeAll(async () => {
      server = await startPythonServer();
      transport = grpcTransport(server.url);
      client = createUserClient(transport);
    }, START_TIMEOUT_MS + 5_000);

    afterAll(async () => {
      await client?.close();
      await server?.stop();
    });

    it("reports SERVING for the server and for UserService, and NOT_FOUND for an unknown service", async () => {
      const health = createClient(Health, transport);
      const listed = await health.list({});
      expect(Object.keys(listed.statuses).sort()).toEqual(["", "user.v1.UserService"]);
      expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect((await health.check({ service: "user.v1.UserService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      await expect(health.check({ service: "no.such.Service" })).rejects.toBeInstanceOf(NotFoundError);
    });

    it("creates an active user with timestamps and gets it back unchanged", async () => {
      const created = await client.createUser(newUser("ada", { age: 36, roles: ["admin"], password: "hunter2" }));
      expect(created).toMatchObject({ name: "ada", age: 36, roles: ["admin"], status: UserStatus.ACTIVE });
      expect(created.id).not.toBe("");
      expect(created.createTime).toBeDefined();
      expect(await client.getUser(created.id)).toEqual(created);
    });

    it("returns the first user when a create repeats its request id", async () => {
      const input = newUser("retry", { requestId: crypto.randomUUID() });
      const first = await client.createUser(input);
      const second = await client.createUser(input);
      expect(second.id).toBe(first.id);
    });

    it("throws InvalidArgumentError with the field violations the Python server sent", async () => {
      const error = await client.createUser({ email: "not-an-email", name: "" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      const fields = (error as InvalidArgumentError).fieldViolations.map((v) => v.field);
      expect(fields).toEqual(["email", "name"]);
      expect((error as InvalidArgumentError).fieldViolations.every((v) => v.description !== "")).toBe(true);
    });

    it("throws AlreadyExistsError for an email taken in another case", async () => {
      const user = await client.createUser(newUser("dup"));
      await expect(client.createUser({ email: user.email.toUpperCase(), name: "Dup" })).rejects.toBeInstanceOf(AlreadyExistsError);
    });

    it("throws NotFoundError naming the missing id", async () => {
      const error = await client.getUser("no-such-user").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as NotFoundError).rawMessage).toBe("user no-such-user not found");
    });

    it("throws UnauthenticatedError for a wrong token, yet lets the public CreateUser through", async () => {
      const wrong = createUserClient(grpcTransport(server.url, "wrong-token"));
      const error = await wrong.getUser("any").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthenticatedError);
      expect((error as UnauthenticatedError).rawMessage).toBe("invalid token");
      await expect(wrong.createUser(newUser("public"))).resolves.toMatchObject({ name: "public" });
      await wrong.close();
    });

    it("updates only the fields given and rejects an unspecified status with a user.status violation", async () => {
      const user = await client.createUser(newUser("upd", { age: 20 }));
      const updated = await client.updateUser(user.id, { name: "Renamed", roles: ["ops"] });
      expect(updated).toMatchObject({ id: user.id, name: "Renamed", roles: ["ops"], age: 20, email: user.email });
      const error = await client.updateUser(user.id, { status: UserStatus.UNSPECIFIED }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).fieldViolations.map((v) => v.field)).toEqual(["user.status"]);
      await expect(client.updateUser("no-such-user", { name: "X" })).rejects.toBeInstanceOf(NotFoundError);
    });

    it("deletes a user, after which get and a second delete are NotFoundError", async () => {
      const user = await client.createUser(newUser("del"));
      await client.deleteUser(user.id);
      await expect(client.getUser(user.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(client.deleteUser(user.id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("pages through a filter in creation order with users()", async () => {
      const tag = `page-${unique}`;
      const created = [];
      for (let i = 0; i < 5; i++) created.push(await client.createUser(newUser(`page${i}`, { roles: [tag] })));
      const seen = [];
      for await (const user of client.users(`role=${tag} status=USER_STATUS_ACTIVE`, { pageSize: 2 })) seen.push(user.id);
      expect(seen).toEqual(created.map((u) => u.id));
      const first = await client.listUsers({ pageSize: 2, filter: `role=${tag}` });
      expect(first.totalSize).toBe(5);
      expect(first.nextPageToken).not.toBe("");
      const byEmail = await client.listUsers({ filter: `email=${created[3]!.email.toUpperCase()}` });
      expect(byEmail.users.map((u) => u.id)).toEqual([created[3]!.id]);
    });

    it("defaults page_size 0 to 50 and caps it at 1000", async () => {
      const tag = `many-${unique}`;
      const users = Array.from({ length: 1001 }, (_, i) => newUser(`many${i}`, { roles: [tag] }));
      expect((await client.bulkCreateUsers(users)).createdCount).toBe(1001);
      const byDefault = await client.listUsers({ filter: `role=${tag}` });
      expect([byDefault.users.length, byDefault.totalSize]).toEqual([50, 1001]);
      const capped = await client.listUsers({ filter: `role=${tag}`, pageSize: 5000 });
      expect([capped.users.length, capped.totalSize, capped.nextPageToken !== ""]).toEqual([1000, 1001, true]);
    });

    it("rejects a forged page token, a token for another filter, an unknown filter field and a negative page size", async () => {
      const tag = `tok-${unique}`;
      for (let i = 0; i < 2; i++) await client.createUser(newUser(`tok${i}`, { roles: [tag] }));
      const token = (await client.listUsers({ pageSize: 1, filter: `role=${tag}` })).nextPageToken;
      const forged = await client.listUsers({ pageToken: `${token.slice(0, -2)}xx` }).catch((e: unknown) => e);
      expect(forged).toBeInstanceOf(InvalidArgumentError);
      expect((forged as InvalidArgumentError).fieldViolations.map((v) => v.field)).toEqual(["page_token"]);
      await expect(client.listUsers({ pageToken: token })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.listUsers({ filter: "colour=red" })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.listUsers({ filter: "status=HAPPY" })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.listUsers({ pageSize: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it("streams watch events in sequence order, only for the users asked for, and ends the stream when we leave", async () => {
      const user = await client.createUser(newUser("watch"));
      const other = await client.createUser(newUser("watch-other"));
      const known = await currentSequence(client, user.id);
      await client.updateUser(user.id, { name: "Watched" });
      await client.updateUser(other.id, { name: "Other" });
      await client.deleteUser(user.id);
      const mine = await collect(client.watchUsers({ userIds: [user.id], sinceSequence: known }), (e) => e.type === UserEventType.DELETED);
      const all = await collect(client.watchUsers({ sinceSequence: known }), (e) => e.type === UserEventType.DELETED);

      expect(all.map((e) => e.sequence)).toEqual(all.map((_, i) => known + 1n + BigInt(i)));
      expect(all.slice(-3).map((e) => [e.user?.id, e.type])).toEqual([
        [user.id, UserEventType.UPDATED],
        [other.id, UserEventType.UPDATED],
        [user.id, UserEventType.DELETED],
      ]);
      expect(mine.slice(-2).map((e) => [e.sequence, e.type, e.user?.name])).toEqual([
        [all.at(-3)!.sequence, UserEventType.UPDATED, "Watched"],
        [all.at(-1)!.sequence, UserEventType.DELETED, "Watched"],
      ]);
      // Every WatchUsers the server saw has ended: leaving the loop cancelled each stream.
      await eventually(
        () => server.events.filter((e) => e.method === "WatchUsers" && e.event === "done").length === callsOf(server, "WatchUsers").length,
        "the server to end every WatchUsers stream",
      );
    });

    it("throws OutOfRangeError for a since_sequence ahead of the newest event", async () => {
      const stream = client.watchUsers({ sinceSequence: 1_000_000_000_000n });
      await expect(collect(stream, () => true)).rejects.toBeInstanceOf(OutOfRangeError);
    });

    it("reports every failed bulk create item with its index, code and message", async () => {
      const good = newUser("bulk-a");
      const result = await client.bulkCreateUsers([
        good,
        { email: "invalid", name: "Bad" },
        { email: good.email.toUpperCase(), name: "Twin" },
        newUser("bulk-b"),
        { ...newUser("bulk-c"), name: "" },
      ]);
      expect(result.createdCount).toBe(2);
      expect(result.userIds).toHaveLength(2);
      expect(result.failures.map((f) => [f.index, f.code])).toEqual([
        [1, 3],
        [2, 6],
        [4, 3],
      ]);
      expect(result.failures.every((f) => f.message !== "")).toBe(true);
      expect((await client.getUser(result.userIds[0]!)).email).toBe(good.email);
    });

    it("answers each sync request, in order, before the next one is sent", async () => {
      const user = await client.createUser(newUser("sync"));
      let answered = 0;
      const waitForAnswer = async (n: number) => eventually(() => answered >= n, `the answer to request ${n - 1}`);
      const requests = (async function* () {
        yield { userId: user.id, changes: { name: "Synced" } };
        await waitForAnswer(1);
        yield { userId: "no-such-user", changes: { name: "Ghost" } };
        await waitForAnswer(2);
        yield { userId: user.id, changes: { email: "no-at-sign" } };
        await waitForAnswer(3);
        yield { userId: user.id, changes: { age: 7 } };
      })();
      const responses = [];
      for await (const response of client.syncUsers(requests)) {
        responses.push(response);
        answered++;
      }
      expect(responses.map((r) => [r.index, r.code])).toEqual([
        [0n, 0],
        [1n, 5],
        [2n, 3],
        [3n, 0],
      ]);
      expect(responses[3]!.user).toMatchObject({ name: "Synced", age: 7 });
      expect(responses[1]!.message).toBe("user no-such-user not found");
    });

    it("ends an open watch with UnavailableError and exits 0 on SIGTERM", async () => {
      // The raw client, so the watch does not resume against the stopped server.
      const raw = createClient(UserService, transport);
      const before = callsOf(server, "WatchUsers").length;
      // Settled into a value at once: it fails during stop(), before anyone awaits it.
      const outcome = raw
        .watchUsers({ sinceSequence: 0n })
        [Symbol.asyncIterator]()
        .next()
        .catch((e: unknown) => e);
      await eventually(() => callsOf(server, "WatchUsers").length > before, "the server to receive the watch");
      const exitCode = await server.stop();
      expect(await outcome).toBeInstanceOf(UnavailableError);
      expect(exitCode).toBe(0);
    });
  });

  describe("with faults injected", () => {
    // Fails the first two GetUser calls (no pushback), stalls ListUsers, keeps 3 events.
    let faulty: PythonServer;
    // Fails the first two GetUser calls, asking for 300 ms between attempts.
    let pushback: PythonServer;
    const stallMs = 3_000;

    beforeAll(async () => {
      [faulty, pushback] = await Promise.all([
        startPythonServer([
          "--fail-first",
          "2",
          "--fail-code",
          "UNAVAILABLE",
          "--fail-method",
          "GetUser",
          "--stall-method",
          "ListUsers",
          "--stall-ms",
          String(stallMs),
          "--retain-events",
          "3",
        ]),
        startPythonServer(["--fail-first", "2", "--fail-code", "UNAVAILABLE", "--fail-method", "GetUser", "--pushback-ms", "300"]),
      ]);
    }, START_TIMEOUT_MS + 5_000);

    afterAll(async () => {
      await Promise.all([faulty?.stop(), pushback?.stop()]);
    });

    it("retries GetUser through two UNAVAILABLE failures, sending grpc-previous-rpc-attempts 1 and 2", async () => {
      const client = createUserClient(grpcTransport(faulty.url));
      const user = await client.createUser(newUser("flaky"));
      expect(await client.getUser(user.id)).toEqual(user);
      // The server's log reaches us over a pipe, possibly after the response.
      await eventually(() => callsOf(faulty, "GetUser").length >= 3, "the server's log of three attempts");
      expect(callsOf(faulty, "GetUser").map((c) => c.previous_rpc_attempts)).toEqual([null, "1", "2"]);
      await client.close();
    });

    it("waits the server's grpc-retry-pushback-ms between attempts", async () => {
      const client = createUserClient(grpcTransport(pushback.url));
      const user = await client.createUser(newUser("pushed"));
      expect((await client.getUser(user.id)).id).toBe(user.id);
      await eventually(() => callsOf(pushback, "GetUser").length >= 3, "the server's log of three attempts");
      const times = callsOf(pushback, "GetUser").map((c) => c.t_ms!);
      expect(times).toHaveLength(3);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(
        gaps.every((gap) => gap >= 300),
        `gaps between attempts: ${gaps.join(", ")} ms`,
      ).toBe(true);
      await client.close();
    });

    it("fails a stalled call with DeadlineExceededError on time, and the server abandons it", async () => {
      const client = createUserClient(grpcTransport(faulty.url));
      await client.createUser(newUser("warm-up")); // the connection is up before the clock starts
      const started = performance.now();
      const error = await client.listUsers({}, { timeoutMs: 500 }).catch((e: unknown) => e);
      const elapsed = performance.now() - started;
      expect(error).toBeInstanceOf(DeadlineExceededError);
      expect(elapsed).toBeGreaterThanOrEqual(490);
      expect(elapsed).toBeLessThanOrEqual(500 * 1.1 + 50);
      // Well before stallMs: the deadline (grpc-timeout) or the cancel reached the Python server.
      await eventually(() => faulty.events.some((e) => e.event === "stall_abandoned"), "the server to abandon the stall", 1_000);
      await client.close();
    });

    it("throws OutOfRangeError for events the server no longer retains", async () => {
      const client = createUserClient(grpcTransport(faulty.url));
      for (let i = 0; i < 4; i++) await client.createUser(newUser(`retained${i}`));
      await expect(collect(client.watchUsers({ sinceSequence: 1n }), () => true)).rejects.toBeInstanceOf(OutOfRangeError);
      await client.close();
    });
  });
});
