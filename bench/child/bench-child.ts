/**
 * One measured process: `node bench-child.js '<ChildJob JSON>'`. Loads one
 * stack, runs the job's scenarios in order and prints one JSON line per
 * scenario on stdout: `{"type":"result",...}`, or `{"type":"error",...}` and
 * exit code 1. A cold-start job measures process start to the first
 * GetUser answer. Exits when its stdin closes (the orchestrator is gone).
 */
import type { ChildJob, ScenarioResult } from "../scenarios/scenario-spec.js";
import { runScenario } from "../scenarios/run-scenario.js";
import { loadStack } from "../stacks/load-stack.js";

const job = JSON.parse(process.argv[2] ?? "null") as ChildJob;
let current = "setup";

const emit = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const fail = (error: unknown) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  emit({ type: "error", stack: job.stack, scenario: current, message });
  process.exit(1);
};
process.on("unhandledRejection", fail);
process.on("uncaughtException", fail);
process.stdin.on("end", () => process.exit(2));
process.stdin.resume();

try {
  const createClient = await loadStack(job.stack);
  const first = job.scenarios[0];
  if (first?.kind === "cold-start") {
    current = first.name;
    const client = await createClient(job.baseUrl);
    await client.unary("small");
    // performance.now() counts from process start (timeOrigin): module loading, connecting and the call.
    const result: ScenarioResult = { scenario: first.name, metrics: { coldStartMs: performance.now() }, ops: 1 };
    emit({ type: "result", stack: job.stack, ...result });
    await closeWithin(client.close(), 1_000);
  } else {
    const client = await createClient(job.baseUrl);
    for (const spec of job.scenarios) {
      current = spec.name;
      emit({ type: "result", stack: job.stack, ...(await runScenario(client, spec, job.baseUrl)) });
    }
    current = "close";
    await closeWithin(client.close(), 1_000);
  }
  process.exit(0);
} catch (error) {
  fail(error);
}

function closeWithin(closing: Promise<void>, ms: number): Promise<void> {
  return Promise.race([closing, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}
