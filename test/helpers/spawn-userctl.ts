import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const USERCTL = fileURLToPath(new URL("../../bin/userctl.js", import.meta.url));

/** The outcome of a finished userctl run. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `userctl args` to completion (killed after `timeoutMs`). Needs `npm run build` first. */
export function runUserctl(args: string[], options: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [USERCTL, ...args], {
      env: { ...process.env, ...options.env },
      timeout: options.timeoutMs ?? 30_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** Starts a long-running userctl (e.g. serve) and resolves once stdout matches `ready`. */
export function startUserctl(
  args: string[],
  ready: RegExp,
  timeoutMs = 15_000,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => Run; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [USERCTL, ...args]);
    let stdout = "";
    let stderr = "";
    const exited = new Promise<number | null>((r) => child.on("close", r));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`userctl ${args.join(" ")} did not print ${ready} in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      const match = stdout.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => ({ code: child.exitCode, stdout, stderr }), exited });
      }
    });
    child.on("error", reject);
  });
}
