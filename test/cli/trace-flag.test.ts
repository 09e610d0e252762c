import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUserctl, startUserctl } from "../helpers/spawn-userctl.js";
import { eventually } from "../helpers/test-server.js";
import { expectExit } from "./cli-test-kit.js";

/** `userctl serve --trace --fail-first 1`: every UserService method fails its first call with UNAVAILABLE. */
let serve: Awaited<ReturnType<typeof startUserctl>>;
let url: string;

beforeAll(async () => {
  serve = await startUserctl(
    ["serve", "--port", "0", "--no-auth", "--no-demo", "--trace", "--fail-first", "1"],
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
  );
  url = serve.match[1]!;
});

afterAll(async () => {
  serve.child.kill("SIGTERM");
  await serve.exited;
});

const userctl = (args: string[]) => runUserctl(["--url", url, ...args], { env: { USERCTL_URL: "", USERCTL_TOKEN: "" } });
const ms = String.raw`\d+\.\d ms`;

/** The lines of a run's stderr from its first trace header on. */
function tree(stderr: string): string[] {
  const lines = stderr.trimEnd().split("\n");
  return lines.slice(lines.findIndex((l) => l.startsWith("trace ")));
}

/** The server's `--trace` lines of one trace so far. */
function serverLines(traceId: string): string[] {
  return serve
    .output()
    .stderr.split("\n")
    .filter((l) => l.startsWith(`trace ${traceId}`));
}

describe("userctl --trace against userctl serve --fail-first 1", () => {
  let userId: string;
  let createTraceId: string;

  it("prints the tree of a call that succeeds on its second attempt", async () => {
    const run = await userctl(["--trace", "create", "--email", "traced@example.com", "--name", "Traced"]);
    expectExit(run, 0);
    userId = /^id:\s+(\S+)$/m.exec(run.stdout)![1]!;
    const lines = tree(run.stderr);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^trace [0-9a-f]{32}$/);
    expect(lines[1]).toMatch(new RegExp(`^└─ user\\.v1\\.UserService/CreateUser  client  ok  ${ms}$`));
    expect(lines[2]).toMatch(new RegExp(`^   ├─ attempt 1  unavailable  ${ms}  injected failure 1 of 1 for CreateUser$`));
    expect(lines[3]).toMatch(new RegExp(`^   └─ attempt 2  after \\d+ ms backoff  ok  ${ms}$`));
    // The retry line comes first, as without --trace.
    expect(run.stderr).toMatch(/^retrying CreateUser \(attempt 2\/4\) after unavailable in \d+ ms\n/);
    createTraceId = lines[0]!.slice("trace ".length);
  });

  it("shows the same trace on the server: one server span per attempt, each with a remote parent", async () => {
    // The server prints a span as the call ends, which may reach us after the client's answer.
    await eventually(() => serverLines(createTraceId).length === 2, "two server spans of the trace");
    const lines = serverLines(createTraceId);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(
        `^trace ${createTraceId}  user\\.v1\\.UserService/CreateUser  server  unavailable  ${ms}  injected failure 1 of 1 for CreateUser  parent [0-9a-f]{16} \\(remote\\)$`,
      ),
    );
    expect(lines[1]).toMatch(
      new RegExp(`^trace ${createTraceId}  user\\.v1\\.UserService/CreateUser  server  ok  ${ms}  parent [0-9a-f]{16} \\(remote\\)$`),
    );
    // Each server span's parent is a different client attempt.
    expect(new Set(lines.map((l) => l.slice(-"0000000000000000 (remote)".length))).size).toBe(2);
  });

  it("prints the tree after the error when the command fails", async () => {
    const run = await userctl(["--trace", "--max-attempts", "1", "get", userId]);
    expectExit(run, 14);
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("error: unavailable: injected failure 1 of 1 for GetUser");
    expect(lines.slice(1)).toHaveLength(3);
    expect(lines[2]).toMatch(
      new RegExp(`^└─ user\\.v1\\.UserService/GetUser  client  unavailable  ${ms}  injected failure 1 of 1 for GetUser$`),
    );
    expect(lines[3]).toMatch(new RegExp(`^   └─ attempt 1  unavailable  ${ms}  injected failure 1 of 1 for GetUser$`));
  });

  it("prints one tree per call of a command, and nothing without --trace", async () => {
    const traced = await userctl(["--trace", "get", userId]);
    expectExit(traced, 0);
    expect(tree(traced.stderr)).toEqual([
      expect.stringMatching(/^trace [0-9a-f]{32}$/),
      expect.stringMatching(new RegExp(`^└─ user\\.v1\\.UserService/GetUser  client  ok  ${ms}$`)),
      expect.stringMatching(new RegExp(`^   └─ attempt 1  ok  ${ms}$`)),
    ]);
    const plain = await userctl(["get", userId]);
    expectExit(plain, 0);
    expect(plain.stderr).toBe("");
  });
});

describe("the flags", () => {
  it("are in the usage texts", async () => {
    const main = await runUserctl(["--help"]);
    expect(main.stdout).toMatch(/^ {2}--trace {15}print the trace tree of each call/m);
    const serveHelp = await runUserctl(["serve", "--help"]);
    expect(serveHelp.stdout).toMatch(/^ {2}--trace {8}print one line per call's server span/m);
    expect(serveHelp.stdout).toMatch(/^ {2}--fail-first N fault injection/m);
  });

  it("reject a bad --fail-first", async () => {
    const run = await runUserctl(["serve", "--fail-first", "some"]);
    expectExit(run, 64);
    expect(run.stderr).toMatch(/^error: --fail-first must be an integer from 0 to \d+, got "some"/);
  });
});
