import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { it } from "vitest";

/** A program a test runs, found or not when the test file loads. */
export type ExternalTool = { name: string; install: string } & ({ path: string } | { path: undefined; reason: string });

/** A Go program `go install` put in $GOPATH/bin (under `subdir` when GOBIN pointed there). */
export function goTool(name: string, install: string, subdir = ""): ExternalTool {
  const env = spawnSync("go", ["env", "GOPATH"], { encoding: "utf8", timeout: 15_000 });
  if (env.status !== 0) return { name, install, path: undefined, reason: "go is not available" };
  const path = join(env.stdout.trim().split(":")[0]!, "bin", subdir, name);
  return existsSync(path) ? { name, install, path } : { name, install, path: undefined, reason: `${path} does not exist` };
}

/** python3 with the modules `imports` installed. */
export function pythonWith(imports: string[], install: string): ExternalTool {
  const probe = spawnSync("python3", ["-c", imports.map((m) => `import ${m}`).join("; ")], { encoding: "utf8", timeout: 30_000 });
  return probe.status === 0
    ? { name: "python3", install, path: "python3" }
    : { name: "python3", install, path: undefined, reason: probe.error?.message ?? probe.stderr.trim().split("\n").pop() ?? "" };
}

/**
 * Declares a test that needs `tool`. Without it the test is skipped, with the
 * reason and the install command, except under CI=true, where a missing tool
 * is a broken pipeline and the test fails.
 */
export function itWithTool(tool: ExternalTool, name: string, run: (path: string) => Promise<void>, timeoutMs = 30_000): void {
  if (tool.path !== undefined) {
    const path = tool.path;
    it(name, () => run(path), timeoutMs);
    return;
  }
  const why = `${tool.name} is missing (${tool.reason}); install with: ${tool.install}`;
  if (process.env.CI === "true") {
    it(name, () => {
      throw new Error(why);
    });
  } else {
    it.skip(`${name} (skipped: ${why})`, () => {});
  }
}

/** Runs a program to completion (killed after `timeoutMs`) and returns its exit status and output. */
export function runTool(
  path: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Asynchronous: a synchronous run would block the event loop the in-process servers answer on.
    const child = spawn(path, args, { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 20_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}
