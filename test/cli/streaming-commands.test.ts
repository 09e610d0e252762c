import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ServingStatus } from "../../src/server/index.js";
import { startUserctl } from "../helpers/spawn-userctl.js";
import { eventually, type RunningServer, TEST_TOKEN } from "../helpers/test-server.js";
import { expectExit, jsonLines, seedUser, startCliServer, userctl } from "./cli-test-kit.js";

let s: RunningServer;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "userctl-cli-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  s = await startCliServer();
});
afterEach(async () => {
  await s.server.close();
});

// The server counts a stream before its handler subscribes to changes, so the
// tests also pass --since: a change made in between is replayed, not missed.
const watchOpen = () => eventually(() => s.server.activeCalls().streams === 1, "the watch stream to open", 10_000);

describe("userctl watch", () => {
  it("prints the events another client causes and exits 0 after --count 2", async () => {
    const id = await seedUser(s, "watched@example.com"); // event #1
    const watching = userctl(s, ["--json", "watch", "--since", "1", "--count", "2"]);
    await watchOpen();
    await s.users.updateUser({ user: { id, name: "Renamed" }, updateMask: { paths: ["name"] } }, s.auth);
    await s.users.createUser({ email: "second@example.com", name: "Second" }, s.auth);
    await s.users.deleteUser({ userId: id }, s.auth);
    const run = await watching;
    expectExit(run, 0);
    const events = jsonLines(run.stdout);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ sequence: "2", type: "USER_EVENT_TYPE_UPDATED", user: { id, name: "Renamed" } });
    expect(events[1]).toMatchObject({ sequence: "3", type: "USER_EVENT_TYPE_CREATED", user: { name: "Second" } });
    expect(events[0]!.eventTime).toMatch(/Z$/);
    expect(run.stderr).toBe("");
  });

  it("watches only the given IDs, readably", async () => {
    const a = await seedUser(s, "a@example.com", "A");
    const b = await seedUser(s, "b@example.com", "B");
    const watching = userctl(s, ["watch", b, "--since", "2", "--count", "1"]);
    await watchOpen();
    await s.users.updateUser({ user: { id: a, age: 1 }, updateMask: { paths: ["age"] } }, s.auth);
    await s.users.updateUser({ user: { id: b, age: 2 }, updateMask: { paths: ["age"] } }, s.auth);
    const run = await watching;
    expectExit(run, 0);
    expect(run.stdout).toBe(`#4 UPDATED ${b}  B <b@example.com>  ACTIVE [dev]\n`);
  });

  it("cancels cleanly and exits 0 on SIGINT", async () => {
    await seedUser(s, "before@example.com"); // event #1
    const watch = startUserctl(["--url", s.url, "--token", TEST_TOKEN, "watch", "--since", "1"], /CREATED/);
    await watchOpen();
    await seedUser(s, "sigint@example.com");
    const started = await watch;
    started.child.kill("SIGINT");
    expect(await started.exited).toBe(0);
    expect(started.output().stderr).toBe("");
    await eventually(() => s.server.activeCalls().streams === 0, "the stream to be cancelled");
  });

  it("ends with deadline_exceeded (exit 4) at --timeout", async () => {
    const run = await userctl(s, ["--timeout", "300", "watch"]);
    expectExit(run, 4);
    expect(run.stderr).toBe("error: deadline_exceeded: deadline exceeded after 300 ms watching users\n");
  });
});

describe("userctl bulk-create", () => {
  const input = [
    '{"email":"one@example.com","name":"One","age":30,"roles":["dev"]}',
    "",
    '{"email":"not-an-email","name":"Bad"}',
    '{"email": "broken@example.com", "name":',
    '{"email":"two@example.com","name":"Two"}',
    "",
  ].join("\n");

  it("creates the valid lines from a file and reports the rest by line number (exit 65)", async () => {
    const file = join(dir, "users.jsonl");
    writeFileSync(file, input);
    const run = await userctl(s, ["bulk-create", file]);
    expectExit(run, 65);
    expect(run.stdout).toBe("created 2 users, 2 failed\n");
    const errors = run.stderr.split("\n");
    expect(errors[0]).toBe('line 3: invalid_argument: invalid argument: email: must contain "@"');
    expect(errors[1]).toMatch(/^line 4: invalid_argument: invalid JSON: /);
    expect(errors).toHaveLength(3);
    const { users } = await s.users.listUsers({}, s.auth);
    expect(users.map((u) => [u.name, u.age, u.roles])).toEqual([
      ["One", 30, ["dev"]],
      ["Two", 0, []],
    ]);
  });

  it("reads stdin for '-' and prints the BulkCreateUsersResponse with --json, indexes by input line", async () => {
    const run = await userctl(s, ["--json", "bulk-create", "-"], { input });
    expectExit(run, 65);
    const [res, ...more] = jsonLines(run.stdout) as [{ createdCount: number; userIds: string[]; failures: unknown[] }];
    expect(more).toEqual([]);
    expect(res.createdCount).toBe(2);
    expect(res.userIds).toHaveLength(2);
    expect(res.failures).toEqual([
      { index: 2, code: 3, message: 'invalid argument: email: must contain "@"' },
      { index: 3, code: 3, message: expect.stringMatching(/^invalid JSON: /) },
    ]);
    expect(jsonLines(run.stderr)).toEqual([
      { line: 3, error: { code: "invalid_argument", message: 'invalid argument: email: must contain "@"' } },
      { line: 4, error: { code: "invalid_argument", message: expect.stringMatching(/^invalid JSON: /) } },
    ]);
  });

  it("exits 0 when every line is created, and 16 when the token is wrong", async () => {
    const ok = await userctl(s, ["bulk-create"], { input: '{"email":"x@example.com","name":"X"}\n{"email":"y@example.com","name":"Y"}\n' });
    expectExit(ok, 0);
    expect(ok.stdout).toBe("created 2 users, 0 failed\n");
    expect(ok.stderr).toBe("");
    const denied = await userctl(s, ["bulk-create", "-"], { input: '{"email":"z@example.com","name":"Z"}\n', token: "wrong" });
    expectExit(denied, 16);
    expect(denied.stderr).toBe("error: unauthenticated: invalid token\n");
  });
});

describe("userctl sync", () => {
  it("applies each stdin line as it comes and reports failed lines by number (exit 65)", async () => {
    const a = await seedUser(s, "sa@example.com", "SA");
    const b = await seedUser(s, "sb@example.com", "SB");
    const input = [
      JSON.stringify({ id: a, age: 50, status: "inactive" }),
      "",
      JSON.stringify({ id: "nope", name: "X" }),
      "{bad json",
      JSON.stringify({ id: b, roles: ["ops"], status: "USER_STATUS_SUSPENDED" }),
    ].join("\n");
    const run = await userctl(s, ["sync", "-"], { input });
    expectExit(run, 65);
    expect(run.stdout).toBe(
      `line 1: updated ${a}  SA <sa@example.com>  INACTIVE [dev]\nline 5: updated ${b}  SB <sb@example.com>  SUSPENDED [ops]\n`,
    );
    expect(run.stderr).toContain("line 3: not_found: user nope not found\n");
    expect(run.stderr).toMatch(/^line 4: invalid_argument: invalid JSON: /m);
    expect((await s.users.getUser({ userId: a }, s.auth)).user?.age).toBe(50);

    const json = await userctl(s, ["--json", "sync"], { input });
    expectExit(json, 65);
    const answers = jsonLines(json.stdout).sort((x, y) => Number(x.index ?? 0) - Number(y.index ?? 0));
    expect(answers).toMatchObject([
      { user: { id: a, age: 50, status: "USER_STATUS_INACTIVE" } },
      { index: "2", code: 5, message: "user nope not found" },
      { index: "3", code: 3 },
      { index: "4", user: { id: b, roles: ["ops"] } },
    ]);
  });

  it("exits 0 when every line applies", async () => {
    const a = await seedUser(s, "ok@example.com");
    const run = await userctl(s, ["sync"], { input: `${JSON.stringify({ id: a, name: "Fine" })}\n` });
    expectExit(run, 0);
    expect(run.stderr).toBe("");
  });
});

describe("userctl health", () => {
  it("prints SERVING and exits 0, with --json the HealthCheckResponse", async () => {
    const run = await userctl(s, ["health"]);
    expectExit(run, 0);
    expect(run.stdout).toBe("SERVING\n");
    const json = await userctl(s, ["--json", "health", "user.v1.UserService"], { token: null });
    expectExit(json, 0);
    expect(json.stdout).toBe('{"status":"SERVING"}\n');
  });

  it("exits 2 when the service is NOT_SERVING and 5 when the server does not know it", async () => {
    s.server.health.set("user.v1.UserService", ServingStatus.NOT_SERVING);
    const down = await userctl(s, ["health", "user.v1.UserService"]);
    expectExit(down, 2);
    expect(down.stdout).toBe("NOT_SERVING\n");
    const unknown = await userctl(s, ["health", "no.such.Service"]);
    expectExit(unknown, 5);
    expect(unknown.stderr).toBe('error: not_found: unknown service "no.such.Service"\n');
  });

  it("with --watch prints each change, UNKNOWN while the server is gone, and exits on SIGINT with the last status", async () => {
    const watch = startUserctl(["--url", s.url, "--json", "health", "--watch", "user.v1.UserService"], /SERVING/);
    const started = await watch;
    await s.server.close();
    // UNKNOWN is the enum's zero value, which proto3 JSON leaves out: {}.
    await eventually(() => started.output().stdout.includes("{}"), "the watch to report the server gone");
    started.child.kill("SIGINT");
    expect(await started.exited).toBe(2);
    const { stdout, stderr } = started.output();
    expect(jsonLines(stdout)).toEqual([{ status: "SERVING" }, { status: "NOT_SERVING" }, {}]);
    expect(stderr).toBe("");
  });

  it("with --wait waits until the server is SERVING, and gives up at --timeout with deadline_exceeded", async () => {
    const ready = await userctl(s, ["--timeout", "2000", "health", "--wait"]);
    expect(ready).toMatchObject({ code: 0, stdout: "SERVING\n" });
    s.server.health.set("", ServingStatus.NOT_SERVING);
    const started = performance.now();
    const waited = await userctl(s, ["--timeout", "300", "--json", "health", "--wait"]);
    expect(waited.code).toBe(4);
    expect(jsonLines(waited.stderr)).toEqual([
      { error: { code: "deadline_exceeded", message: "the server was not SERVING within 300 ms" } },
    ]);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
