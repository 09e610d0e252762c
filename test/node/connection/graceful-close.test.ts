import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";
import { CanceledError } from "../../../src/errors/index.js";
import { createTransport, type NodeTransport } from "../../../src/node/create-transport.js";
import { fault, useFaultyServers } from "../../helpers/fault-interceptor.js";
import { countOpenHandles, waitForNoLeakedHandles } from "../../helpers/open-handles.js";
import { eventually, rejection, startServer, TEST_TOKEN } from "../../helpers/test-server.js";

const startFaulty = useFaultyServers();
const CHILD = fileURLToPath(new URL("../../helpers/connection-child-client.ts", import.meta.url));

/** How a child client process ended. */
interface ChildRun {
  code: number | null;
  /** From spawn to the child's "done" line (its own figure: import, calls and close). */
  doneMs: number | undefined;
  /** From the "done" line to the exit: what kept the process alive after its work. */
  lingerMs: number | undefined;
  killed: boolean;
  stderr: string;
}

/** Runs the child client; kills it if it is still alive `maxLingerMs` after printing "done". */
function runChild(url: string, mode: "close" | "idle" | "health-idle", maxLingerMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, url, TEST_TOKEN, mode], {
      cwd: fileURLToPath(new URL("../../..", import.meta.url)),
    });
    let stdout = "";
    let stderr = "";
    let doneAt: number | undefined;
    let killer: NodeJS.Timeout | undefined;
    let killed = false;
    // The child's setup (tsx, imports) must not count against it: a hard cap just in case.
    const cap = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, 15_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (doneAt === undefined && /^done \d+$/m.test(stdout)) {
        doneAt = performance.now();
        killer = setTimeout(() => {
          killed = true;
          child.kill("SIGKILL");
        }, maxLingerMs);
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(cap);
      clearTimeout(killer);
      const done = /^done (\d+)$/m.exec(stdout);
      resolve({
        code,
        doneMs: done ? Number(done[1]) : undefined,
        lingerMs: doneAt === undefined ? undefined : Math.round(performance.now() - doneAt),
        killed,
        stderr,
      });
    });
  });
}

describe("closing the Node transport", () => {
  let transport: NodeTransport | undefined;

  afterEach(async () => {
    await transport?.close({ graceMs: 0 });
    transport = undefined;
  });

  it("lets calls in flight finish within the grace period, refuses new ones at once and cancels the rest at its end", async () => {
    const graceMs = 1000;
    const { s, faults } = await startFaulty([fault.stall("GetUser", { ms: 300 }), fault.stall("ListUsers", { ms: 10_000 })]);
    const baseline = countOpenHandles();
    transport = createTransport({ baseUrl: s.url, auth: TEST_TOKEN });
    const users = createClient(UserService, transport);
    const { user } = await users.createUser({ email: "close@example.com", name: "Close" });

    const inFlight = Array.from({ length: 20 }, () => users.getUser({ userId: user!.id }));
    const stalled = rejection(users.listUsers({}, { timeoutMs: 30_000 }));
    await eventually(
      () => faults.attemptsOf("GetUser").length === 20 && faults.attemptsOf("ListUsers").length === 1,
      "every call to reach the server",
    );

    const closeStarted = performance.now();
    const since = () => Math.round(performance.now() - closeStarted);
    const closing = transport.close({ graceMs }).then(since);
    const refused = await rejection(users.getUser({ userId: user!.id }));
    const refusedMs = since();
    const finished = await Promise.allSettled(inFlight);
    const inFlightMs = since();
    const cancelled = await stalled;
    const cancelledMs = since();
    const closeMs = await closing;
    await waitForNoLeakedHandles(baseline);

    console.log(
      `graceful close (grace ${graceMs} ms): new call refused after ${refusedMs} ms with ${refused.constructor.name} "${refused.message}"; ` +
        `${finished.filter((r) => r.status === "fulfilled").length}/20 in-flight calls (300 ms stall) done after ${inFlightMs} ms; ` +
        `the 10 s call ended after ${cancelledMs} ms with ${Code[cancelled.code]} "${cancelled.message}"; close() resolved after ${closeMs} ms; ` +
        `ListUsers attempts at the server: ${faults.attemptsOf("ListUsers").length}; handles ${baseline.total} -> ${countOpenHandles().total}; state ${transport.state()}`,
    );
    expect(refused).toBeInstanceOf(CanceledError);
    expect(refused.message).toMatch(/transport is closed/);
    expect(refusedMs).toBeLessThan(50);
    expect(finished.map((r) => r.status)).toEqual(Array(20).fill("fulfilled"));
    expect(inFlightMs).toBeLessThan(graceMs);
    expect(cancelled).toBeInstanceOf(CanceledError);
    expect(cancelledMs).toBeGreaterThanOrEqual(graceMs - 50);
    expect(cancelledMs).toBeLessThan(graceMs + 500);
    expect(closeMs).toBeLessThan(graceMs + 500);
    // A call cancelled by close() is not retried somewhere else.
    expect(faults.attemptsOf("ListUsers")).toHaveLength(1);
    expect(transport.state()).toBe("closed");
    expect(transport.activeCalls()).toBe(0);
  });

  describe("in a process of its own", () => {
    it("lets the process exit by itself soon after close()", async () => {
      const s = await startServer();
      try {
        const run = await runChild(s.url, "close", 2000);
        console.log(
          `child with close(): exit code ${run.code}, work done after ${run.doneMs} ms, exited ${run.lingerMs} ms later${run.killed ? " (killed)" : ""}`,
        );
        expect(run.stderr).toBe("");
        expect(run.killed).toBe(false);
        expect(run.code).toBe(0);
        expect(run.lingerMs).toBeLessThan(2000);
      } finally {
        await s.server.close({ graceMs: 0 });
      }
    });

    it("lets the process exit without close() once its connection is idle", async () => {
      const s = await startServer();
      try {
        const run = await runChild(s.url, "idle", 2000);
        console.log(
          `child without close(): exit code ${run.code}, work done after ${run.doneMs} ms, exited ${run.lingerMs} ms later${run.killed ? " (killed)" : ""}`,
        );
        expect(run.stderr).toBe("");
        expect(run.killed).toBe(false);
        expect(run.code).toBe(0);
        expect(run.lingerMs).toBeLessThan(2000);
      } finally {
        await s.server.close({ graceMs: 0 });
      }
    });

    it("lets the process exit without close() with health checking on", async () => {
      const s = await startServer();
      try {
        const run = await runChild(s.url, "health-idle", 2000);
        console.log(
          `child without close(), healthCheck on: exit code ${run.code}, work done after ${run.doneMs} ms, exited ${run.lingerMs} ms later${run.killed ? " (killed)" : ""}`,
        );
        expect(run.stderr).toBe("");
        expect(run.killed).toBe(false);
        expect(run.code).toBe(0);
        expect(run.lingerMs).toBeLessThan(2000);
      } finally {
        await s.server.close({ graceMs: 0 });
      }
    });
  });
});
