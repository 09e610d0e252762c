import { afterEach, describe, expect, it } from "vitest";
import type { Run } from "../helpers/spawn-userctl.js";
import type { RunningServer } from "../helpers/test-server.js";
import { expectExit, failFirst, jsonLines, seedUser, stall, startCliServer, userctl } from "./cli-test-kit.js";

let s: RunningServer | undefined;
afterEach(async () => {
  await s?.server.close();
  s = undefined;
});

/** Runs userctl and measures its wall time, process start and exit included. */
async function timed(server: RunningServer, args: string[]) {
  const start = performance.now();
  const run = await userctl(server, args);
  return { run, ms: performance.now() - start };
}

/**
 * How long the command ran, process overhead aside. Each trial pairs a fast
 * command (what starting node, connecting and exiting cost right now) with the
 * command under test; load from parallel tests only ever adds time, so the
 * best of up to five trials measures the CLI itself.
 */
async function bestRunMs(server: RunningServer, args: string[], boundMs: number, check: (run: Run, ms: number) => void): Promise<number> {
  const runs: number[] = [];
  for (let trial = 0; trial < 5 && !(Math.min(...runs) <= boundMs); trial++) {
    const startup = (await timed(server, ["list"])).ms;
    const { run, ms } = await timed(server, args);
    check(run, ms);
    runs.push(ms - startup);
  }
  console.info(`userctl ${args.join(" ")}: ran ${runs.map(Math.round).join(", ")} ms beyond startup (bound ${Math.round(boundMs)} ms)`);
  return Math.min(...runs);
}

/** The bound the spec sets: the timeout plus 10% plus 50 ms. */
const boundMs = (timeoutMs: number) => timeoutMs * 1.1 + 50;

describe("--timeout", () => {
  it.each([300, 1000])(
    "ends a call the server stalls with deadline_exceeded (exit 4) within %i ms · 1.1 + 50 ms of process overhead",
    async (timeoutMs) => {
      s = await startCliServer([stall("GetUser")]);
      const id = await seedUser(s, "stalled@example.com");
      const best = await bestRunMs(s, ["--timeout", String(timeoutMs), "get", id], boundMs(timeoutMs), (run, ms) => {
        expectExit(run, 4);
        // connect's own timer and the deadline interceptor race; both say deadline_exceeded.
        expect(run.stderr).toMatch(/^error: deadline_exceeded: .+\n$/);
        expect(ms).toBeGreaterThanOrEqual(timeoutMs);
      });
      expect(best).toBeLessThanOrEqual(boundMs(timeoutMs));
    },
  );

  it("covers every retry attempt and backoff: a server that keeps failing cannot stretch it", async () => {
    s = await startCliServer([failFirst("GetUser", 1_000)]);
    const best = await bestRunMs(s, ["--timeout", "400", "--max-attempts", "10", "--json", "get", "x"], boundMs(400), (run) => {
      // Either the deadline struck during an attempt or a backoff, or the retry throttle gave up first.
      expect([4, 14]).toContain(run.code);
    });
    expect(best).toBeLessThanOrEqual(boundMs(400));
  });
});

describe("retries", () => {
  it("are shown on stderr: the server fails GetUser twice, the third attempt succeeds", async () => {
    const attempts: string[] = [];
    s = await startCliServer([failFirst("GetUser", 2, attempts)]);
    const id = await seedUser(s, "retried@example.com", "Retried");
    const run = await userctl(s, ["get", id]);
    expectExit(run, 0);
    expect(run.stdout).toMatch(/^name:\s+Retried$/m);
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^retrying GetUser \(attempt 2\/4\) after unavailable in \d+ ms$/);
    expect(lines[1]).toMatch(/^retrying GetUser \(attempt 3\/4\) after unavailable in \d+ ms$/);
    expect(attempts).toHaveLength(3);
  });

  it("stay quiet with --json, which keeps stderr for the error line", async () => {
    s = await startCliServer([failFirst("GetUser", 1)]);
    const id = await seedUser(s, "quiet@example.com");
    const run = await userctl(s, ["--json", "get", id]);
    expectExit(run, 0);
    expect(run.stderr).toBe("");
    expect(jsonLines(run.stdout)[0]).toMatchObject({ user: { id } });
  });

  it("give up after --max-attempts, with the last error", async () => {
    s = await startCliServer([failFirst("GetUser", 1_000)]);
    const run = await userctl(s, ["--max-attempts", "2", "get", "x"]);
    expectExit(run, 14);
    expect(run.stderr).toMatch(
      /^retrying GetUser \(attempt 2\/2\) after unavailable in \d+ ms\nerror: unavailable: injected failure 2 of GetUser\n$/,
    );
  });

  it("are disabled by --max-attempts 1: exit 14 at the first UNAVAILABLE", async () => {
    const attempts: string[] = [];
    s = await startCliServer([failFirst("GetUser", 1, attempts)]);
    const run = await userctl(s, ["--max-attempts", "1", "get", "x"]);
    expectExit(run, 14);
    expect(run.stderr).toBe("error: unavailable: injected failure 1 of GetUser\n");
    expect(attempts).toHaveLength(1);
  });

  it("make a create safe: the request id keeps a retried CreateUser from duplicating", async () => {
    s = await startCliServer([failFirst("CreateUser", 1)]);
    const run = await userctl(s, ["--json", "create", "--email", "safe@example.com", "--name", "Safe"]);
    expectExit(run, 0);
    expect(run.stderr).toBe("");
    expect((await s.users.listUsers({}, s.auth)).totalSize).toBe(1);
  });
});
