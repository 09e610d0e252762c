import { join } from "node:path";
import type { SampleStore } from "../report/sample-store.js";
import type { ChildJob, ScenarioResult } from "../scenarios/scenario-spec.js";
import type { StackName } from "../stacks/bench-client.js";
import type { Family } from "./bench-plan.js";
import { runNodeChild } from "./child-processes.js";
import { shuffled } from "./seeded-random.js";

/** Where the measured children run and where their samples go. */
export interface RunContext {
  buildDir: string;
  baseUrl: string;
  clientCpu: number | undefined;
  store: SampleStore;
  random: () => number;
  /** Progress lines (stderr). */
  log(line: string): void;
}

/**
 * Runs every (stack, family) pair `rounds` times, each in a fresh process;
 * within a round the pairs run in a random (seeded) order, so that each
 * stack is sampled across the whole run and a noisy minute hits all of
 * them alike. Rejects on the first child that fails or misses a scenario.
 */
export async function runRounds(
  phase: string,
  rounds: number,
  stacks: readonly StackName[],
  families: readonly Family[],
  context: RunContext,
): Promise<void> {
  const pairs = stacks.flatMap((stack) => families.map((family) => ({ stack, family })));
  const total = rounds * pairs.length;
  let done = 0;
  for (let round = 1; round <= rounds; round++) {
    for (const { stack, family } of shuffled(pairs, context.random)) {
      const started = performance.now();
      await runFamily(stack, family, context);
      done++;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      context.log(
        `[${phase} ${String(done).padStart(3)}/${total}] round ${round}/${rounds}  ${stack.padEnd(12)} ${family.name.padEnd(12)} ${seconds} s`,
      );
    }
  }
}

async function runFamily(stack: StackName, family: Family, context: RunContext): Promise<void> {
  const job: ChildJob = { stack, baseUrl: context.baseUrl, scenarios: family.scenarios };
  const child = join(context.buildDir, "bench/child/bench-child.js");
  const lines = await runNodeChild({
    label: `stack ${stack} (${family.scenarios.map((s) => s.name).join(", ")})`,
    // Only the memory scenario needs global.gc.
    nodeArgs: [...(family.name === "open-streams" ? ["--expose-gc"] : []), child, JSON.stringify(job)],
    cpu: context.clientCpu,
    timeoutMs: family.timeoutMs,
  });
  for (const spec of family.scenarios) {
    const result = lines.find((l) => l.type === "result" && l.scenario === spec.name) as ScenarioResult | undefined;
    if (result === undefined || Object.keys(result.metrics).length === 0) {
      throw new Error(`stack ${stack}, scenario ${spec.name}: the child exited without a number`);
    }
    context.store.add(stack, result);
  }
}
