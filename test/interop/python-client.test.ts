import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUserctl } from "../helpers/spawn-userctl.js";
import { eventually, type RunningServer, startServer, TEST_TOKEN } from "../helpers/test-server.js";

// A grpcio client built only from our .proto files calls every RPC of the
// reference server: proof that a client in another language sees the contract.

const CLIENT = fileURLToPath(new URL("./python/user_client.py", import.meta.url));
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const PIP_INSTALL = "python3 -m pip install grpcio grpcio-tools grpcio-health-checking";
/** The client takes about a second; this bound only stops a hung run. */
const CLIENT_TIMEOUT_MS = 30_000;

/** Every check user_client.py prints, by group: a check it stops printing fails here too. */
const CHECKS: Record<string, string[]> = {
  setup: ["setup.stubs", "setup.connect"],
  health: ["health.check_server", "health.check_service", "health.check_unknown", "health.list", "health.watch"],
  create: ["create.ok", "create.invalid_email", "create.duplicate_email", "create.request_id"],
  get: ["get.ok", "get.not_found"],
  auth: ["auth.missing_token", "auth.wrong_token"],
  list: ["list.pages", "list.filter", "list.forged_token", "list.token_for_other_filter"],
  update: ["update.mask", "update.empty_mask"],
  delete: ["delete.ok", "delete.not_found"],
  watch: ["watch.events", "watch.out_of_range"],
  bulk: ["bulk.create"],
  sync: ["sync.users"],
};

interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

interface ClientRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  results: CheckResult[];
  /** Stdout lines that are not a check result. */
  strayLines: string[];
  stderr: string;
}

const probe = spawnSync("python3", ["-c", "import grpc, grpc_tools"], { encoding: "utf8", timeout: 15_000 });
const pythonReady = probe.status === 0;
const whyNotReady = pythonReady ? "" : (probe.error?.message ?? probe.stderr.trim().split("\n").at(-1) ?? `exit status ${probe.status}`);
const inCi = process.env.CI === "true";

describe("the Python grpcio client", () => {
  // A missing dependency in CI is a broken pipeline, not a reason to skip.
  if (inCi || pythonReady) {
    it("finds grpcio and grpcio-tools", () => {
      if (!pythonReady) {
        throw new Error(`python3 cannot import grpc and grpc_tools (${whyNotReady}); CI must run: ${PIP_INSTALL}`);
      }
      expect(probe.status).toBe(0);
    });
  }

  const title = pythonReady ? "against the reference server" : `against the reference server (skipped: ${whyNotReady}; run ${PIP_INSTALL})`;
  describe.skipIf(!pythonReady)(title, () => {
    let s: RunningServer | undefined;
    let run: ClientRun;

    beforeAll(async () => {
      s = await startServer();
      run = await runClient(new URL(s.url).port);
    }, CLIENT_TIMEOUT_MS + 5_000);

    afterAll(async () => {
      await s?.server.close();
    });

    it.each(Object.entries(CHECKS))("passes the %s checks", (_group, names) => {
      const problems = names.flatMap((name) => {
        const result = run.results.find((r) => r.check === name);
        if (!result) return [`${name}: not reported`];
        return result.ok ? [] : [`${name}: ${result.detail}`];
      });
      expect(problems, diagnostics(run)).toEqual([]);
    });

    it("reports only known checks, all passed, and exits 0", () => {
      const known = new Set(Object.values(CHECKS).flat());
      const failed = run.results.filter((r) => !r.ok).map((r) => `${r.check}: ${r.detail}`);
      const unknown = run.results.filter((r) => !known.has(r.check)).map((r) => r.check);
      expect({ failed, unknown, strayLines: run.strayLines }, diagnostics(run)).toEqual({
        failed: [],
        unknown: [],
        strayLines: [],
      });
      expect(run.exitCode, diagnostics(run)).toBe(0);
    });

    it("leaves no call open on the server once the client is done", async () => {
      await eventually(() => {
        const active = s!.server.activeCalls();
        return active.unary === 0 && active.streams === 0;
      }, "the server's calls to end");
    });
  });
});

describe.skipIf(!pythonReady)("the Python grpcio client against `userctl serve`", () => {
  let serve: Awaited<ReturnType<typeof startUserctl>>;
  let run: ClientRun;

  beforeAll(async () => {
    serve = await startUserctl(["serve", "--port", "0", "--token", TEST_TOKEN, "--no-demo"], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    run = await runClient(serve.match[1]!);
  }, CLIENT_TIMEOUT_MS + 20_000);

  afterAll(() => {
    if (serve?.child.exitCode === null) serve.child.kill("SIGKILL");
  });

  it("passes every check, exits 0, and the server then stops cleanly on SIGTERM", async () => {
    const expected = Object.values(CHECKS).flat();
    const passed = run.results.filter((r) => r.ok).map((r) => r.check);
    expect({ missingOrFailed: expected.filter((name) => !passed.includes(name)), exitCode: run.exitCode }, diagnostics(run)).toEqual({
      missingOrFailed: [],
      exitCode: 0,
    });
    serve.child.kill("SIGTERM");
    expect(await serve.exited).toBe(0);
  });
});

/** Runs user_client.py against `port`, bounded by CLIENT_TIMEOUT_MS, and parses its JSON lines. */
function runClient(port: string): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", [CLIENT, "--target", `127.0.0.1:${port}`, "--token", TEST_TOKEN], {
      cwd: REPO,
      timeout: CLIENT_TIMEOUT_MS,
      killSignal: "SIGKILL",
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (exitCode, signal) => {
      const results: CheckResult[] = [];
      const strayLines: string[] = [];
      for (const line of stdout.split("\n").filter((l) => l.trim() !== "")) {
        const result = parseResult(line);
        if (result) results.push(result);
        else strayLines.push(line);
      }
      if (signal === "SIGKILL") stderr += `\n[killed after ${CLIENT_TIMEOUT_MS} ms]`;
      resolve({ exitCode, signal, results, strayLines, stderr });
    });
  });
}

function parseResult(line: string): CheckResult | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== "object" || value === null) return undefined;
    const { check, ok, detail } = value as Record<string, unknown>;
    if (typeof check !== "string" || typeof ok !== "boolean") return undefined;
    return { check, ok, detail: String(detail ?? "") };
  } catch {
    return undefined;
  }
}

function diagnostics(run: ClientRun): string {
  const status = run.signal ? `signal ${run.signal}` : `exit ${run.exitCode}`;
  return `user_client.py ended with ${status}; stderr: ${run.stderr.trim().slice(-2_000) || "(empty)"}`;
}
