import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";

/** Which CPU the server and the measured clients are pinned to, when `taskset` can do it. */
export interface Pinning {
  serverCpu: number;
  clientCpu: number;
}

const live = new Set<ChildProcess>();

/** Pins the server to CPU 1 and clients to CPU 0 when taskset works and there are 2 CPUs or more; else undefined. */
export function detectPinning(): Pinning | undefined {
  if (availableParallelism() < 2) return undefined;
  const probe = spawnSync("taskset", ["-c", "0", process.execPath, "-e", ""], { stdio: "ignore" });
  return probe.status === 0 ? { serverCpu: 1, clientCpu: 0 } : undefined;
}

/** What to run: `node <nodeArgs>`, pinned to `cpu` if given. */
export interface NodeChildOptions {
  /** For messages: which stack and scenarios this child measures. */
  label: string;
  nodeArgs: string[];
  cpu: number | undefined;
  /** The child is killed and the run fails after this long. */
  timeoutMs: number;
}

/**
 * Spawns node (through `taskset -c <cpu>` when pinned), its stdin a pipe it
 * watches so it exits if we die. Children are killed when this process exits.
 */
export function spawnNode(options: Pick<NodeChildOptions, "nodeArgs" | "cpu">): ChildProcess {
  const [command, args] =
    options.cpu === undefined
      ? [process.execPath, options.nodeArgs]
      : ["taskset", ["-c", String(options.cpu), process.execPath, ...options.nodeArgs]];
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child));
  return child;
}

/**
 * Runs a measuring child to its end and returns the JSON objects it printed,
 * one per stdout line. Rejects, naming the label, the scenario the child
 * reported failing and the end of its stderr, when it exits non-zero,
 * prints an error line, or outlives `timeoutMs`.
 */
export function runNodeChild(options: NodeChildOptions): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawnNode(options);
    const lines: Record<string, unknown>[] = [];
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-2_000)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        stderr = `${stderr}${line}\n`.slice(-2_000);
      }
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${options.label}: no result within ${options.timeoutMs} ms, killed${tail(stderr)}`));
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${options.label}: cannot start node: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const failure = lines.find((l) => l.type === "error");
      if (failure !== undefined)
        reject(new Error(`${options.label}, scenario ${String(failure.scenario)}: ${String(failure.message)}${tail(stderr)}`));
      else if (code !== 0) reject(new Error(`${options.label}: exited with ${signal ?? `code ${code}`}${tail(stderr)}`));
      else resolve(lines);
    });
  });
}

/** Kills every child still running (on exit, SIGINT or a failed run). */
export function killAllChildren(): void {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
}

function tail(stderr: string): string {
  const text = stderr.trim();
  return text === "" ? "" : `\n--- end of its stderr ---\n${text}`;
}
