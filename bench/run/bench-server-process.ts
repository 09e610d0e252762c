import { join } from "node:path";
import { createInterface } from "node:readline";
import { spawnNode } from "./child-processes.js";

/** The bench server running in a process of its own. */
export interface BenchServerProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts bench/server/server-process.js from the compiled bench, pinned to `cpu` if given; resolves once it listens. */
export function startBenchServerProcess(buildDir: string, cpu: number | undefined): Promise<BenchServerProcess> {
  const child = spawnNode({ nodeArgs: [join(buildDir, "bench/server/server-process.js")], cpu });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-2_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bench server did not listen within 10 s\n${stderr}`));
    }, 10_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bench server exited with code ${code} before listening\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer);
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        async stop() {
          child.stdin!.end();
          const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}
