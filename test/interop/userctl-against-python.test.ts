import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExit, jsonLines } from "../cli/cli-test-kit.js";
import { eventually } from "../helpers/test-server.js";
import { type Run, runUserctl } from "../helpers/spawn-userctl.js";
import { callsOf, describeWithPython, type PythonServer, START_TIMEOUT_MS, startPythonServer, TOKEN } from "./python-server-process.js";

// userctl against an independent grpcio implementation of the contract
// (python/user_server.py), with the server's own fault switches: every command
// with its output and exit status, then the retry, deadline and resume
// behaviours the client core promises, observed from the server's call log.

let unique = 0;
/** An email no other test uses. */
const email = (label: string) => `${label}-${process.pid}-${++unique}@example.com`;

function userctl(server: PythonServer, args: string[], options: { token?: string; input?: string } = {}): Promise<Run> {
  return runUserctl(["--url", server.url, "--token", options.token ?? TOKEN, ...args], {
    timeoutMs: 20_000,
    env: { USERCTL_URL: "", USERCTL_TOKEN: "" },
    ...(options.input !== undefined && { input: options.input }),
  });
}

/** The kit's JSON lines, read loosely: these tests walk deep into proto3 JSON. */
// biome-ignore lint/suspicious/noExplicitAny: read loosely on purpose, see above
const json = (text: string) => jsonLines(text) as Record<string, any>[];

/** Creates a user with userctl and returns its id. */
async function createUser(server: PythonServer, label: string, extra: string[] = []): Promise<string> {
  const run = await userctl(server, ["--json", "create", "--email", email(label), "--name", label, ...extra]);
  expectExit(run, 0);
  return json(run.stdout)[0]!.user.id as string;
}

/** Milliseconds between consecutive arrivals of `method` at the server. */
function gapsBetweenCalls(server: PythonServer, method: string): number[] {
  const times = callsOf(server, method).map((c) => c.t_ms!);
  return times.slice(1).map((t, i) => t - times[i]!);
}

describeWithPython("userctl against the Python grpcio server", () => {
  describe("every command, with its output and exit status", () => {
    let server: PythonServer;
    beforeAll(async () => {
      server = await startPythonServer();
    }, START_TIMEOUT_MS + 5_000);
    afterAll(async () => {
      await server?.stop();
    });

    it("creates a user and prints the CreateUserResponse as proto3 JSON, never the password", async () => {
      const address = email("create");
      const run = await userctl(server, [
        "--json",
        "create",
        "--email",
        address,
        "--name",
        "Ada",
        "--age",
        "36",
        "--role",
        "admin",
        "--role",
        "dev",
      ]);
      expectExit(run, 0);
      const [line] = json(run.stdout);
      expect(line).toMatchObject({ user: { email: address, name: "Ada", age: 36, roles: ["admin", "dev"], status: "USER_STATUS_ACTIVE" } });
      expect(line!.user.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(run.stdout).not.toMatch(/password/i);
    });

    it("gets a user, and exits 5 with a not_found error line for a missing one", async () => {
      const id = await createUser(server, "get");
      const found = await userctl(server, ["--json", "get", id]);
      expectExit(found, 0);
      expect(json(found.stdout)).toEqual([expect.objectContaining({ user: expect.objectContaining({ id, name: "get" }) })]);

      const missing = await userctl(server, ["--json", "get", "no-such-user"]);
      expectExit(missing, 5);
      expect(missing.stdout).toBe("");
      expect(json(missing.stderr)).toEqual([
        { error: expect.objectContaining({ code: "not_found", message: "user no-such-user not found" }) },
      ]);
    });

    it("exits 3 for an invalid create and prints the field violation grpcio sent", async () => {
      const human = await userctl(server, ["create", "--email", "not-an-email", "--name", "Bad"]);
      expectExit(human, 3);
      expect(human.stderr).toMatch(/^error: invalid_argument: /m);
      expect(human.stderr).toContain("email");
      const machine = await userctl(server, ["--json", "create", "--email", "not-an-email", "--name", "Bad"]);
      expectExit(machine, 3);
      expect(JSON.stringify(json(machine.stderr)[0])).toContain('"field":"email"');
    });

    it("exits 6 for an email that is already taken", async () => {
      const address = email("taken");
      expectExit(await userctl(server, ["create", "--email", address, "--name", "First"]), 0);
      expectExit(await userctl(server, ["create", "--email", address, "--name", "Second"]), 6);
    });

    it("lists one page with a next page token, and every page with --all, one line per user", async () => {
      const role = `lister${process.pid}`;
      for (let i = 0; i < 3; i++) await createUser(server, `list${i}`, ["--role", role]);
      const page = await userctl(server, ["--json", "list", "--page-size", "2", "--filter", `role=${role}`]);
      expectExit(page, 0);
      const [response] = json(page.stdout);
      expect(response!.users.map((u: { name: string }) => u.name)).toEqual(["list0", "list1"]);
      expect(response!.totalSize).toBe(3);
      expect(response!.nextPageToken).toEqual(expect.any(String));

      const next = await userctl(server, [
        "--json",
        "list",
        "--page-size",
        "2",
        "--filter",
        `role=${role}`,
        "--page-token",
        response!.nextPageToken,
      ]);
      expectExit(next, 0);
      expect(json(next.stdout)[0]!.users.map((u: { name: string }) => u.name)).toEqual(["list2"]);

      const all = await userctl(server, ["--json", "list", "--all", "--page-size", "1", "--filter", `role=${role}`]);
      expectExit(all, 0);
      expect(json(all.stdout).map((u) => u.name)).toEqual(["list0", "list1", "list2"]);
    });

    it("exits 3 for a filter the server does not understand", async () => {
      expectExit(await userctl(server, ["list", "--filter", "colour=blue"]), 3);
    });

    it("updates only the fields given, status included", async () => {
      const id = await createUser(server, "update", ["--age", "20"]);
      const run = await userctl(server, ["--json", "update", id, "--name", "Renamed", "--status", "SUSPENDED"]);
      expectExit(run, 0);
      expect(json(run.stdout)[0]).toMatchObject({ user: { id, name: "Renamed", age: 20, status: "USER_STATUS_SUSPENDED" } });
    });

    it("deletes a user, after which get exits 5", async () => {
      const id = await createUser(server, "delete");
      expectExit(await userctl(server, ["delete", id]), 0);
      expectExit(await userctl(server, ["get", id]), 5);
      expectExit(await userctl(server, ["delete", id]), 5);
    });

    it("watches events after a sequence, one JSON line per event, and exits 0 after --count", async () => {
      const id = await createUser(server, "watched");
      const first = await userctl(server, ["--json", "watch", id, "--since", "1", "--count", "1"]);
      expectExit(first, 0);
      const [created] = json(first.stdout);
      expect(created).toMatchObject({ type: "USER_EVENT_TYPE_CREATED", user: { id } });
      const since = BigInt(created!.sequence as string);

      expectExit(await userctl(server, ["update", id, "--age", "41"]), 0);
      expectExit(await userctl(server, ["delete", id]), 0);
      const rest = await userctl(server, ["--json", "watch", id, "--since", String(since), "--count", "2"]);
      expectExit(rest, 0);
      const events = json(rest.stdout);
      expect(events.map((e) => e.type)).toEqual(["USER_EVENT_TYPE_UPDATED", "USER_EVENT_TYPE_DELETED"]);
      expect(events.map((e) => BigInt(e.sequence as string) > since)).toEqual([true, true]);
    });

    it("bulk-creates from JSON lines, reports the failing line and exits 65", async () => {
      const input = [
        JSON.stringify({ email: email("bulk"), name: "One" }),
        JSON.stringify({ email: "no-at-sign", name: "Two" }),
        JSON.stringify({ email: email("bulk"), name: "Three", age: 30, roles: ["ops"] }),
      ].join("\n");
      const run = await userctl(server, ["--json", "bulk-create", "-"], { input });
      expectExit(run, 65);
      const [response] = json(run.stdout);
      expect(response).toMatchObject({ createdCount: 2, failures: [{ index: 1, code: 3 }] });
      expect(response!.userIds).toHaveLength(2);
      expect(run.stderr).toContain('"line":2');
    });

    it("syncs updates over the bidirectional stream, one response per line in order, exiting 65 for a bad one", async () => {
      const id = await createUser(server, "sync");
      const input = [
        JSON.stringify({ id, name: "Synced" }),
        JSON.stringify({ id: "no-such-user", name: "Ghost" }),
        JSON.stringify({ id, age: 52 }),
      ].join("\n");
      const run = await userctl(server, ["--json", "sync", "-"], { input });
      expectExit(run, 65);
      const responses = json(run.stdout);
      // Every SyncUsersResponse is printed, the failed one with its code and message.
      expect(responses.map((r) => [r.index ?? "0", r.user?.name, r.code])).toEqual([
        ["0", "Synced", undefined],
        ["1", undefined, 5],
        ["2", "Synced", undefined],
      ]);
      expect(responses[2]!.user.age).toBe(52);
      expect(run.stderr).toMatch(/line 2|"line":2/);
    });

    it("checks health: 0 when SERVING, non-zero for a service the server does not know", async () => {
      const overall = await userctl(server, ["health"]);
      expectExit(overall, 0);
      expect(overall.stdout).toContain("SERVING");
      expectExit(await userctl(server, ["health", "user.v1.UserService"]), 0);
      const unknown = await userctl(server, ["health", "no.such.Service"]);
      expect(unknown.code).not.toBe(0);
    });

    it("exits 16 for a wrong token", async () => {
      const run = await userctl(server, ["get", "anyone"], { token: "wrong-token" });
      expectExit(run, 16);
      expect(run.stderr).toContain("unauthenticated");
      expect(run.stderr).not.toContain("wrong-token");
    });
  });

  describe("retries, deadlines and resumed streams", () => {
    // Each server fails in one way: two UNAVAILABLE GetUser answers (no advice,
    // 300 ms pushback, or a 400 ms RetryInfo), INTERNAL GetUser answers plus a
    // lost CreateUser response, and a stalled ListUsers plus a broken watch.
    let flaky: PythonServer, pushback: PythonServer, retryInfo: PythonServer, internal: PythonServer, stalled: PythonServer;
    const failTwice = ["--fail-first", "2", "--fail-method", "GetUser"];

    beforeAll(async () => {
      [flaky, pushback, retryInfo, internal, stalled] = await Promise.all([
        startPythonServer(failTwice),
        startPythonServer([...failTwice, "--pushback-ms", "300"]),
        startPythonServer([...failTwice, "--retry-info-ms", "400"]),
        startPythonServer([
          "--fail-first",
          "5",
          "--fail-method",
          "GetUser",
          "--fail-code",
          "INTERNAL",
          "--lose-response-method",
          "CreateUser",
        ]),
        startPythonServer(["--stall-method", "ListUsers", "--stall-ms", "5000", "--break-watch-after", "2"]),
      ]);
    }, START_TIMEOUT_MS + 10_000);
    afterAll(async () => {
      await Promise.all([flaky, pushback, retryInfo, internal, stalled].map((s) => s?.stop()));
    });

    it("recovers an idempotent GetUser from two UNAVAILABLE answers, sending grpc-previous-rpc-attempts 1 and 2", async () => {
      const id = await createUser(flaky, "flaky");
      const run = await userctl(flaky, ["get", id]);
      expectExit(run, 0);
      expect(run.stderr).toMatch(/retrying GetUser \(attempt 2\/4\) after unavailable in \d+ ms/);
      expect(run.stderr).toMatch(/retrying GetUser \(attempt 3\/4\) after unavailable in \d+ ms/);
      await eventually(() => callsOf(flaky, "GetUser").length >= 3, "the server's log of three attempts");
      expect(callsOf(flaky, "GetUser").map((c) => c.previous_rpc_attempts)).toEqual([null, "1", "2"]);
    });

    it("waits exactly the server's grpc-retry-pushback-ms between attempts", async () => {
      const run = await userctl(pushback, ["get", "whoever"]);
      expectExit(run, 5); // the third attempt reaches the servicer: no such user
      expect(run.stderr).toContain("after unavailable in 300 ms");
      await eventually(() => callsOf(pushback, "GetUser").length >= 3, "three attempts");
      for (const gap of gapsBetweenCalls(pushback, "GetUser")) expect(gap).toBeGreaterThanOrEqual(300);
    });

    it("waits the RetryInfo retry_delay between attempts", async () => {
      const run = await userctl(retryInfo, ["get", "whoever"]);
      expectExit(run, 5);
      expect(run.stderr).toContain("after unavailable in 400 ms");
      await eventually(() => callsOf(retryInfo, "GetUser").length >= 3, "three attempts");
      for (const gap of gapsBetweenCalls(retryInfo, "GetUser")) expect(gap).toBeGreaterThanOrEqual(400);
    });

    it("does not retry INTERNAL: one attempt, exit 13", async () => {
      const run = await userctl(internal, ["get", "whoever"]);
      expectExit(run, 13);
      expect(run.stderr).not.toContain("retrying");
      await eventually(() => internal.events.some((e) => e.event === "done" && e.method === "GetUser"), "the call to end");
      expect(callsOf(internal, "GetUser")).toHaveLength(1);
    });

    it("retries a create whose response was lost without creating a second user", async () => {
      const address = email("lost");
      const run = await userctl(internal, ["--json", "create", "--email", address, "--name", "Lost"]);
      expectExit(run, 0);
      expect(internal.events.some((e) => e.event === "response_lost")).toBe(true);
      expect(callsOf(internal, "CreateUser").map((c) => c.previous_rpc_attempts)).toEqual([null, "1"]);
      const list = await userctl(internal, ["--json", "list", "--all", "--filter", `email=${address}`]);
      expectExit(list, 0);
      expect(json(list.stdout).map((u) => u.id)).toEqual([json(run.stdout)[0]!.user.id]);
    });

    it("keeps --timeout within 10% + 50 ms while the server stalls, and exits 4", async () => {
      const timeoutMs = 500;
      const run = await userctl(stalled, ["--timeout", String(timeoutMs), "list"]);
      expectExit(run, 4);
      // The server's own clock: from the call's arrival to the moment grpcio saw it end.
      await eventually(() => stalled.events.some((e) => e.event === "stall_abandoned"), "the server to abandon the call");
      const arrived = callsOf(stalled, "ListUsers")[0]!.t_ms!;
      const abandoned = stalled.events.find((e) => e.event === "stall_abandoned")!.t_ms!;
      expect(abandoned - arrived).toBeLessThanOrEqual(timeoutMs * 1.1 + 50);
      expect(callsOf(stalled, "ListUsers")).toHaveLength(1); // a deadline is not retried
    });

    it("resumes a watch that breaks mid-way from the last event delivered: none lost, none twice", async () => {
      // since_sequence 0 means "from now on", so the first event is only a starting point.
      await createUser(stalled, "before");
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await createUser(stalled, `resume${i}`));
      const run = await userctl(stalled, ["--json", "watch", "--since", "1", "--count", "5"]);
      expectExit(run, 0);
      const events = json(run.stdout);
      expect(events.map((e) => e.user.id)).toEqual(ids);
      expect(events.map((e) => Number(e.sequence))).toEqual([2, 3, 4, 5, 6]);
      expect(stalled.events.find((e) => e.event === "watch_broken")?.sequence).toBe(3);
      expect(callsOf(stalled, "WatchUsers").length).toBeGreaterThanOrEqual(2);
    });
  });
});
