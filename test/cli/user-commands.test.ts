import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runUserctl } from "../helpers/spawn-userctl.js";
import type { RunningServer } from "../helpers/test-server.js";
import { expectExit, jsonLines, seedUser, startCliServer, userctl } from "./cli-test-kit.js";

let s: RunningServer;
beforeAll(async () => {
  s = await startCliServer();
});
afterAll(async () => {
  await s.server.close();
});

describe("userctl get", () => {
  it("prints the user readably, and with --json the GetUserResponse", async () => {
    const id = await seedUser(s, "get-ok@example.com", "Getty");
    const human = await userctl(s, ["get", id]);
    expectExit(human, 0);
    expect(human.stdout).toMatch(new RegExp(`^id:\\s+${id}$`, "m"));
    expect(human.stdout).toMatch(/^name:\s+Getty$/m);
    expect(human.stdout).toMatch(/^status:\s+ACTIVE$/m);
    expect(human.stderr).toBe("");

    const json = await userctl(s, ["--json", "get", id]);
    expectExit(json, 0);
    const [res, ...more] = jsonLines(json.stdout);
    expect(more).toEqual([]);
    expect(res).toMatchObject({
      user: { id, email: "get-ok@example.com", name: "Getty", age: 30, roles: ["dev"], status: "USER_STATUS_ACTIVE" },
    });
    expect((res!.user as { createTime: string }).createTime).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
  });

  it("exits 5 with 'error: not_found: …' when the user does not exist", async () => {
    const run = await userctl(s, ["get", "no-such-user"]);
    expectExit(run, 5);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("error: not_found: user no-such-user not found\n");

    const json = await userctl(s, ["--json", "get", "no-such-user"]);
    expectExit(json, 5);
    expect(json.stdout).toBe("");
    expect(jsonLines(json.stderr)).toEqual([{ error: { code: "not_found", message: "user no-such-user not found" } }]);
  });

  it("exits 16 with a wrong token, and takes the URL and token from the environment", async () => {
    const wrong = await userctl(s, ["get", "x"], { token: "wrong" });
    expectExit(wrong, 16);
    expect(wrong.stderr).toBe("error: unauthenticated: invalid token\n");

    const id = await seedUser(s, "env@example.com");
    const fromEnv = await runUserctl(["--json", "get", id], { env: { USERCTL_URL: s.url, USERCTL_TOKEN: "test-token" } });
    expectExit(fromEnv, 0);
    expect(jsonLines(fromEnv.stdout)[0]).toMatchObject({ user: { id } });
  });

  it.each(["grpc-web", "connect", "grpc"])("works over --protocol %s", async (protocol) => {
    const id = await seedUser(s, `proto-${protocol}@example.com`);
    const run = await userctl(s, ["--protocol", protocol, "--json", "get", id]);
    expectExit(run, 0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ user: { id } });
    const missing = await userctl(s, ["--protocol", protocol, "get", "nope"]);
    expectExit(missing, 5);
    expect(missing.stderr).toBe("error: not_found: user nope not found\n");
  });

  it("sends every -H header with the call", async () => {
    const seen: (string | null)[] = [];
    const recording = await startCliServer([
      (next) => (req) => {
        seen.push(req.header.get("x-team"), req.header.get("x-env"));
        return next(req);
      },
    ]);
    try {
      const run = await userctl(recording, ["-H", "x-team: blue", "--header", "X-Env:prod", "get", "nope"]);
      expectExit(run, 5);
      expect(seen).toEqual(["blue", "prod"]);
    } finally {
      await recording.server.close();
    }
  });
});

describe("userctl create", () => {
  it("creates a user and prints the CreateUserResponse with --json", async () => {
    const run = await userctl(s, [
      "--json",
      "create",
      "--email",
      "new@example.com",
      "--name",
      "New",
      "--age",
      "41",
      "--role",
      "a",
      "--role",
      "b",
    ]);
    expectExit(run, 0);
    const [res] = jsonLines(run.stdout);
    expect(res).toMatchObject({
      user: { email: "new@example.com", name: "New", age: 41, roles: ["a", "b"], status: "USER_STATUS_ACTIVE" },
    });
    const id = (res!.user as { id: string }).id;
    expect((await s.users.getUser({ userId: id }, s.auth)).user?.name).toBe("New");
  });

  it("never creates twice with the same --request-id", async () => {
    const args = ["--json", "create", "--email", "once@example.com", "--name", "Once", "--request-id", "req-1"];
    const first = jsonLines((await userctl(s, args)).stdout)[0];
    const again = await userctl(s, args);
    expectExit(again, 0);
    expect(jsonLines(again.stdout)[0]).toEqual(first);
  });

  it("exits 3 on an invalid email and prints the field violation; --json gives the decoded details", async () => {
    const run = await userctl(s, ["create", "--email", "not-an-email", "--name", "Bad"]);
    expectExit(run, 3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe('error: invalid_argument: invalid argument: email: must contain "@"\n  email: must contain "@"\n');

    const json = await userctl(s, ["--json", "create", "--email", "not-an-email", "--name", ""]);
    expectExit(json, 3);
    expect(jsonLines(json.stderr)).toEqual([
      {
        error: {
          code: "invalid_argument",
          message: 'invalid argument: email: must contain "@"; name: must not be empty',
          details: [
            {
              type: "google.rpc.BadRequest",
              fieldViolations: [
                { field: "email", description: 'must contain "@"' },
                { field: "name", description: "must not be empty" },
              ],
            },
          ],
        },
      },
    ]);
  });
});

describe("userctl update and delete", () => {
  it("changes only the given fields, --status in any spelling", async () => {
    const id = await seedUser(s, "upd@example.com", "Upd");
    const run = await userctl(s, ["--json", "update", id, "--status", "suspended", "--age", "50"]);
    expectExit(run, 0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ user: { id, name: "Upd", age: 50, status: "USER_STATUS_SUSPENDED", roles: ["dev"] } });

    const human = await userctl(s, ["update", id, "--status", "USER_STATUS_INACTIVE"]);
    expectExit(human, 0);
    expect(human.stdout).toMatch(/^status:\s+INACTIVE$/m);
    expect(human.stdout).toMatch(/^age:\s+50$/m);
  });

  it("exits 64 for an unknown --status or nothing to change, 5 for an unknown user", async () => {
    const bad = await userctl(s, ["update", "x", "--status", "DELETED"]);
    expectExit(bad, 64);
    expect(bad.stderr).toContain('error: --status must be ACTIVE, INACTIVE or SUSPENDED (or USER_STATUS_*), got "DELETED"');
    expect(bad.stderr).toContain("usage: userctl [global flags] update ID");
    expectExit(await userctl(s, ["update", "x"]), 64);
    expectExit(await userctl(s, ["update", "nope", "--name", "N"]), 5);
  });

  it("deletes a user and prints {} with --json", async () => {
    const id = await seedUser(s, "del@example.com");
    const human = await userctl(s, ["delete", id]);
    expectExit(human, 0);
    expect(human.stdout).toBe(`deleted user ${id}\n`);
    const json = await userctl(s, ["--json", "delete", id]);
    expectExit(json, 5);
    expect(jsonLines(json.stderr)[0]).toMatchObject({ error: { code: "not_found" } });

    const other = await seedUser(s, "del2@example.com");
    const ok = await userctl(s, ["--json", "delete", other]);
    expectExit(ok, 0);
    expect(ok.stdout).toBe("{}\n");
  });
});

describe("userctl list", () => {
  let list: RunningServer;
  beforeAll(async () => {
    list = await startCliServer();
    for (let i = 1; i <= 7; i++) await seedUser(list, `l${i}@example.com`, `L${i}`);
    await list.users.createUser({ email: "admin@example.com", name: "Admin", roles: ["admin"] }, list.auth);
  });
  afterAll(async () => {
    await list.server.close();
  });

  it("prints one page as the ListUsersResponse, and follows --page-token", async () => {
    const run = await userctl(list, ["--json", "list", "--page-size", "3"]);
    expectExit(run, 0);
    const [page] = jsonLines(run.stdout) as [{ users: { name: string }[]; nextPageToken: string; totalSize: number }];
    expect(page.users.map((u) => u.name)).toEqual(["L1", "L2", "L3"]);
    expect(page.totalSize).toBe(8);
    const next = await userctl(list, ["--json", "list", "--page-size", "3", "--page-token", page.nextPageToken]);
    expect((jsonLines(next.stdout)[0] as typeof page).users.map((u) => u.name)).toEqual(["L4", "L5", "L6"]);

    const human = await userctl(list, ["list", "--page-size", "3"]);
    expect(human.stdout).toContain("3 of 8 users; next page: --page-token ");
  });

  it("with --all walks every page and prints one User per line", async () => {
    const run = await userctl(list, ["--json", "list", "--all", "--page-size", "3"]);
    expectExit(run, 0);
    const users = jsonLines(run.stdout);
    expect(users.map((u) => u.name)).toEqual(["L1", "L2", "L3", "L4", "L5", "L6", "L7", "Admin"]);
    expect(users[0]).toMatchObject({ email: "l1@example.com", status: "USER_STATUS_ACTIVE" });
    expect(list.logs.filter((l) => l.includes("ListUsers")).length).toBeGreaterThanOrEqual(3);

    const human = await userctl(list, ["list", "--all", "--page-size", "3", "--filter", "role=admin"]);
    expectExit(human, 0);
    expect(human.stdout).toMatch(/^\S+ {2}Admin <admin@example\.com> {2}ACTIVE \[admin\]\n1 user\n$/);
  });

  it("exits 3 on a filter the server rejects and 64 on --all with --page-token", async () => {
    expectExit(await userctl(list, ["list", "--filter", "colour=red"]), 3);
    expectExit(await userctl(list, ["list", "--all", "--page-token", "t"]), 64);
  });
});

describe("usage", () => {
  let dummy: RunningServer | undefined;
  afterEach(async () => {
    await dummy?.server.close();
  });

  it.each([
    [["get"], "missing ID"],
    [["get", "a", "b"], 'unexpected argument "b"'],
    [["get", "--bogus", "x"], "Unknown option '--bogus'"],
    [["create", "--name", "N"], "--email is required"],
    [["create", "--email", "e@x", "--name", "N", "--age", "old"], "--age must be an integer"],
    [["list", "--page-size=-1"], "--page-size must be an integer from 0 to 1000"],
    [["watch", "--count", "0"], "--count must be an integer from 1"],
    [["--protocol", "http3", "get", "x"], "--protocol must be one of grpc, grpc-web, connect"],
    [["--timeout", "soon", "get", "x"], "--timeout must be an integer"],
    [["--max-attempts", "0", "get", "x"], "--max-attempts must be an integer from 1 to 10"],
    [["--connect-timeout=-5", "get", "x"], "--connect-timeout must be an integer"],
    [["--url", "ftp://host", "get", "x"], "must use http:// or https://"],
    [["-H", "no colon", "get", "x"], "--header must look like 'name: value'"],
    [["--cert", "c.pem", "get", "x"], "--cert and --key go together"],
    [["--bogus", "get", "x"], "Unknown option '--bogus'"],
    [["bulk-create", "/no/such/file.jsonl"], "cannot read /no/such/file.jsonl"],
    [["health", "a", "b"], 'unexpected argument "b"'],
  ])("rejects %j with exit status 64, the error and the usage on stderr", async (args, message) => {
    const run = await runUserctl(args);
    expectExit(run, 64);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error: /);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain("usage: userctl");
  });

  it.each(["get", "list", "create", "update", "delete", "watch", "bulk-create", "sync", "health"])(
    "prints the usage of %s for --help on stdout and exits 0",
    async (command) => {
      const run = await runUserctl([command, "--help"]);
      expectExit(run, 0);
      expect(run.stdout).toContain(`usage: userctl [global flags] ${command}`);
      expect(run.stderr).toBe("");
    },
  );

  it("prints the global usage for --help, listing every command and the exit statuses", async () => {
    const run = await runUserctl(["--help"]);
    expectExit(run, 0);
    for (const command of [
      "get ID",
      "list",
      "create",
      "update ID",
      "delete ID",
      "watch",
      "bulk-create",
      "sync",
      "health",
      "serve",
      "tour",
    ]) {
      expect(run.stdout).toContain(`  ${command}`);
    }
    expect(run.stdout).toContain("64 on usage errors");
  });

  it("accepts --connect-timeout (not applied yet) and global flags written --flag=value", async () => {
    dummy = await startCliServer();
    const id = await seedUser(dummy, "flags@example.com");
    const run = await runUserctl([`--url=${dummy.url}`, "--token=test-token", "--connect-timeout", "250", "--json", "get", id]);
    expectExit(run, 0);
  });
});
