import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";

// The grpcio UserService server (python/user_server.py) as a child process,
// shared by the tests that drive it with our client and with userctl.

const SERVER = fileURLToPath(new URL("./python/user_server.py", import.meta.url));
export const PIP_INSTALL = "python3 -m pip install grpcio==1.85.1 grpcio-tools==1.85.1 grpcio-health-checking==1.85.1";
export const TOKEN = "py-interop-token";
/** Generating the stubs and binding takes about a second; this bound only stops a hung start. */
export const START_TIMEOUT_MS = 20_000;

const probe = spawnSync("python3", ["-c", "import grpc, grpc_tools, grpc_health"], { encoding: "utf8", timeout: 15_000 });
export const pythonReady = probe.status === 0;
export const whyNotReady = pythonReady
  ? ""
  : (probe.error?.message ?? probe.stderr.trim().split("\n").at(-1) ?? `exit status ${probe.status}`);

/** One JSON line the Python server logged to stderr. */
export interface ServerEvent {
  event: "call" | "done" | "stall_abandoned" | "response_lost" | "watch_broken" | "stopped";
  method?: string;
  /** watch_broken: the last sequence sent before the stream broke. */
  sequence?: number;
  previous_rpc_attempts?: string | null;
  t_ms?: number;
}

export interface PythonServer {
  url: string;
  events: ServerEvent[];
  stderr(): string;
  /** SIGTERM, then the exit code (SIGKILL after 5 s, giving null). */
  stop(): Promise<number | null>;
}

/** Starts user_server.py on a free loopback port and resolves once it prints where it listens. */
export function startPythonServer(extraArgs: string[] = []): Promise<PythonServer> {
  const child: ChildProcess = spawn("python3", [SERVER, "--port", "0", "--token", TOKEN, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const events: ServerEvent[] = [];
  let stdout = "";
  let stderr = "";
  let partial = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as ServerEvent);
      } catch {
        // not an event line (e.g. a Python warning): kept in stderr for diagnostics
      }
    }
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`user_server.py did not start in ${START_TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.on("error", reject);
    void exited.then((code) => reject(new Error(`user_server.py exited ${code} before listening; stderr: ${stderr}`)));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
      if (port === undefined) return;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${port}`, events, stderr: () => stderr, stop });
    });
  });
}

/** The calls of `method` the server received, in arrival order. */
export function callsOf(server: PythonServer, method: string): ServerEvent[] {
  return server.events.filter((e) => e.event === "call" && e.method === method);
}

/**
 * Declares `body` under `name` when python3 has grpcio; otherwise a skip with
 * the reason locally, and a failing test under CI=true, where a missing peer
 * is a broken pipeline rather than a reason to skip.
 */
export function describeWithPython(name: string, body: () => void): void {
  describe(name, () => {
    if (pythonReady) return body();
    if (process.env.CI === "true") {
      it("finds grpcio, grpcio-tools and grpcio-health-checking", () => {
        throw new Error(`python3 cannot import grpc, grpc_tools and grpc_health (${whyNotReady}); CI must run: ${PIP_INSTALL}`);
      });
    } else {
      describe.skip(`(skipped: ${whyNotReady}; run ${PIP_INSTALL})`, () => {
        it("needs grpcio", () => {});
      });
    }
  });
}
