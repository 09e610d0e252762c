import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { longestMs, profileSpec } from "../run/bench-plan.js";
import type { ProfileRequest } from "../run/bench-options.js";
import { runNodeChild } from "../run/child-processes.js";
import type { ChildJob } from "../scenarios/scenario-spec.js";
import { type ProfiledRun, renderProfileComparison, renderProfileSummary } from "./render-profile-summary.js";
import { type CpuProfile, summariseProfile } from "./summarise-profile.js";

/** Where and against what a profile runs. */
export interface ProfileContext {
  repositoryRoot: string;
  buildDir: string;
  baseUrl: string;
  clientCpu: number | undefined;
  /** Where the .cpuprofile files go (bench/results/, gitignored). */
  resultsDir: string;
}

/**
 * Runs one scenario per stack in a child with `--cpu-prof`, one stack after
 * the other, and returns the Markdown summary: each profile by group and top
 * functions, then (for two stacks or more) the first against the raw floor
 * (or the last stack) per operation.
 */
export async function runProfile(request: ProfileRequest, context: ProfileContext): Promise<string> {
  const spec = profileSpec(request.scenario, request.ratePerSec, request.durationMs);
  const runs: ProfiledRun[] = [];
  for (const stack of request.stacks) {
    const name = `${stack}.${request.scenario}.cpuprofile`;
    const job: ChildJob = { stack, baseUrl: context.baseUrl, scenarios: [spec] };
    console.error(`profiling ${stack} / ${request.scenario}...`);
    const lines = await runNodeChild({
      label: `stack ${stack} (profile)`,
      nodeArgs: [
        "--expose-gc",
        "--cpu-prof",
        "--cpu-prof-dir",
        context.resultsDir,
        "--cpu-prof-name",
        name,
        join(context.buildDir, "bench/child/bench-child.js"),
        JSON.stringify(job),
      ],
      cpu: context.clientCpu,
      timeoutMs: 2 * longestMs(spec) + 90_000,
    });
    const result = lines.find((l) => l.type === "result");
    if (result === undefined) throw new Error(`stack ${stack}, scenario ${request.scenario}: the profiled child reported no result`);
    const file = join(context.resultsDir, name);
    const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
    runs.push({
      stack,
      scenario: request.scenario,
      ops: Number(result.ops),
      file: relative(context.repositoryRoot, file),
      summary: summariseProfile(profile),
    });
  }
  const sections = runs.map((run) => renderProfileSummary(run));
  if (runs.length > 1) {
    const baseline = runs.find((r) => r.stack === "raw-http2" && r !== runs[0]) ?? runs[runs.length - 1]!;
    sections.push(renderProfileComparison(runs, baseline));
  }
  return sections.join("\n\n");
}
