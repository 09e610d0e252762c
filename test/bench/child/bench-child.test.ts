import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNodeChild } from "../../../bench/run/child-processes.js";
import { compileBench } from "../../../bench/run/compile-bench.js";
import type { ChildJob } from "../../../bench/scenarios/scenario-spec.js";
import { type BenchServer, startBenchServer } from "../../../bench/server/bench-server.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
let buildDir: string;
let server: BenchServer;

beforeAll(async () => {
  // Its own directory, so that a bench running meanwhile keeps its build.
  buildDir = await compileBench(root, ".tmp/bench-build-test");
  server = await startBenchServer();
});
afterAll(() => server.close());

const run = (job: ChildJob, timeoutMs = 15_000) =>
  runNodeChild({
    label: `stack ${job.stack}`,
    nodeArgs: [join(buildDir, "bench/child/bench-child.js"), JSON.stringify(job)],
    cpu: undefined,
    timeoutMs,
  });

describe("a compiled bench child", () => {
  it("runs its scenarios with plain node and prints one JSON result per scenario", async () => {
    const lines = await run({
      stack: "raw-http2",
      baseUrl: server.url,
      scenarios: [
        {
          kind: "unary",
          name: "unary-small-c16",
          size: "small",
          concurrency: 16,
          warmupMs: 20,
          warmupCalls: 50,
          durationMs: 50,
          minCalls: 100,
          maxDurationMs: 2_000,
        },
        {
          kind: "bidi",
          name: "bidi-ping-pong",
          messagesPerStream: 10,
          warmupMs: 20,
          warmupCalls: 0,
          durationMs: 50,
          minCalls: 3,
          maxDurationMs: 2_000,
        },
      ],
    });
    expect(lines.map((l) => [l.type, l.stack, l.scenario])).toEqual([
      ["result", "raw-http2", "unary-small-c16"],
      ["result", "raw-http2", "bidi-ping-pong"],
    ]);
    const metrics = lines[0]!.metrics as Record<string, number>;
    expect(metrics.callsPerSec).toBeGreaterThan(0);
    expect(metrics.cpuUsPerCall).toBeGreaterThan(0);
    expect(metrics.windowCalls).toBeGreaterThanOrEqual(100);
    expect(metrics.minCallsMet).toBe(1);
  });

  it("measures a cold start from process start to the first answer", async () => {
    const [line] = await run({ stack: "raw-http2", baseUrl: server.url, scenarios: [{ kind: "cold-start", name: "cold-start" }] });
    expect((line!.metrics as Record<string, number>).coldStartMs).toBeGreaterThan(0);
  });

  it("fails naming the stack and the scenario when calls fail", async () => {
    const job: ChildJob = {
      stack: "raw-http2",
      baseUrl: "http://127.0.0.1:1",
      scenarios: [
        {
          kind: "unary",
          name: "unary-1k-c1",
          size: "1k",
          concurrency: 1,
          warmupMs: 10,
          warmupCalls: 0,
          durationMs: 10,
          minCalls: 1,
          maxDurationMs: 10,
        },
      ],
    };
    await expect(run(job)).rejects.toThrow(/^stack raw-http2, scenario unary-1k-c1: Error: .*ECONNREFUSED/);
  });

  it("is killed, and fails the run, when it outlives its bound", async () => {
    const job: ChildJob = {
      stack: "raw-http2",
      baseUrl: server.url,
      scenarios: [
        {
          kind: "unary",
          name: "unary-small-c1",
          size: "small",
          concurrency: 1,
          warmupMs: 10,
          warmupCalls: 0,
          durationMs: 5_000,
          minCalls: 1,
          maxDurationMs: 5_000,
        },
      ],
    };
    await expect(run(job, 500)).rejects.toThrow("stack raw-http2: no result within 500 ms, killed");
  });
});
