import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { rejection } from "../helpers/test-server.js";
import { runUserctl, startUserctl } from "../helpers/spawn-userctl.js";

describe("userctl serve", () => {
  it("prints the URL, protocols and token, serves calls, and exits 0 on SIGTERM after draining", async () => {
    const serve = await startUserctl(["serve", "--port", "0", "--token", "cli-token"], /token:\s+(\S+)\n/);
    const out = serve.output().stdout;
    const url = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    expect(url).toBeDefined();
    expect(out).toContain("gRPC, gRPC-Web and Connect");
    expect(serve.match[1]).toBe("cli-token");

    const users = createClient(UserService, createGrpcTransport({ baseUrl: url! }));
    await users.createUser({ email: "a@example.com", name: "A" });
    const list = await users.listUsers({}, { headers: { authorization: "Bearer cli-token" } });
    expect(list.totalSize).toBe(1);
    expect((await rejection(users.listUsers({}))).code).toBe(Code.Unauthenticated);

    serve.child.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
    const { stderr } = serve.output();
    expect(stderr).toContain("SIGTERM received");
    expect(stderr).toMatch(/grpc user\.v1\.UserService\/ListUsers ok/);
    expect(stderr).not.toContain("cli-token");
  });

  it("makes up a random token, and with --no-auth warns and takes calls without one", async () => {
    const random = await startUserctl(["serve", "--port", "0"], /token:\s+(\S+)\n/);
    expect(random.match[1]).toMatch(/^[\w-]{20,}$/);
    random.child.kill("SIGINT");
    expect(await random.exited).toBe(0);

    const open = await startUserctl(["serve", "--port", "0", "--no-auth"], /listening on (\S+)\n/);
    const users = createClient(UserService, createGrpcTransport({ baseUrl: open.match[1]! }));
    await expect(users.listUsers({})).resolves.toBeDefined();
    open.child.kill("SIGINT");
    expect(await open.exited).toBe(0);
    expect(open.output().stderr).toContain("warning: --no-auth");
  });

  it("prints the demo page URL with the token in its fragment, and serves the page there", async () => {
    const serve = await startUserctl(["serve", "--port", "0", "--token", "t/k+n"], /demo page: (\S+)\n/);
    expect(serve.match[1]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=t%2Fk%2Bn$/);
    const page = await fetch(serve.match[1]!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>UserService demo</title>");
    serve.child.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
  });

  it("serves no page with --no-demo, and lets --allow-origin pages call it", async () => {
    const serve = await startUserctl(
      ["serve", "--port", "0", "--no-demo", "--allow-origin", "https://app.example.com"],
      /listening on (\S+)\n/,
    );
    const url = serve.match[1]!;
    expect(serve.output().stdout).not.toContain("demo page");
    expect((await fetch(`${url}/`)).status).toBe(404);
    const preflight = (origin: string) =>
      fetch(`${url}/user.v1.UserService/ListUsers`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
    expect((await preflight("https://app.example.com")).status).toBe(204);
    expect((await preflight("http://localhost:3000")).status).toBe(403);
    serve.child.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
  });

  it.each([
    [["serve", "--bogus"], "Unknown option"],
    [["serve", "--port", "99999"], "--port must be"],
    [["serve", "--token", "t", "--no-auth"], "exclude each other"],
    [["serve", "--cert", "x.pem"], "--cert and --key go together"],
    [["serve", "--allow-origin", "app.example.com"], '--allow-origin: "app.example.com" is not an origin'],
    [["frobnicate"], "unknown command"],
  ])("rejects %j with usage and exit status 64", async (args, message) => {
    const run = await runUserctl(args);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain("usage: userctl");
  });

  it("prints help for --help and exits 0", async () => {
    const run = await runUserctl(["serve", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("usage: userctl serve");
  });
});

describe("userctl tour", () => {
  it("walks every RPC against an in-process server and exits 0", async () => {
    const run = await runUserctl(["tour"], { timeoutMs: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    for (const rpc of [
      "Health/Check",
      "CreateUser",
      "GetUser",
      "ListUsers",
      "WatchUsers",
      "UpdateUser",
      "BulkCreateUsers",
      "SyncUsers",
      "DeleteUser",
      "Health/Watch",
    ]) {
      expect(run.stdout).toContain(rpc);
    }
    expect(run.stdout).toContain("no duplicate");
    expect(run.stdout).toMatch(/event\s+#4 UPDATED/);
    expect(run.stdout).toMatch(/failure\s+item 1: InvalidArgument/);
    expect(run.stdout).toMatch(/#1\s+NotFound/);
    expect(run.stdout).toContain("SERVING → NOT_SERVING → stream ended: Unavailable");
    // The injected failure of the first ListUsers, recovered by the client's retry.
    expect(run.stdout).toMatch(
      /retry\s+retrying ListUsers \(attempt 2\/4\) after unavailable in \d+ ms\n\s+page 1\s+Ada Lovelace, Grace Hopper/,
    );
    // Typed errors, with their class names and decoded field violations.
    expect(run.stdout).toMatch(/NotFound\s+NotFoundError: user \S+ not found/);
    expect(run.stdout).toMatch(/InvalidArgument\s+InvalidArgumentError: invalid argument: /);
    expect(run.stdout).toMatch(/fieldViolation\s+email: must be at most 254 characters\n\s+fieldViolation\s+name: must not be empty/);
    expect(run.stdout).toMatch(/Unauthenticated\s+UnauthenticatedError: invalid token/);
    expect(run.stdout).toContain("tour complete");
  });
});
