/**
 * `npm run bench` (full), `npm run bench:quick` (CI) and
 * `npm run bench -- --profile <stacks>:<scenario>`; see bench/README.md.
 * Builds dist/ if stale, compiles the bench to .tmp/bench-build, starts the
 * bench server in its own process, runs every stack in fresh processes,
 * prints the table and writes bench/results/latest{,-quick}.{md,json}.
 * Exits 1 when any stack lacks a number for any scenario.
 */
import { cpus, loadavg, platform, arch, totalmem } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProfile } from "./profile/run-profile.js";
import { readBundleSizes } from "./report/bundle-sizes.js";
import { collectResults, missingFigures } from "./report/collect-results.js";
import { evaluateGoals } from "./report/goals.js";
import { renderTable } from "./report/render-table.js";
import type { ResultsDocument } from "./report/results-document.js";
import { createSampleStore } from "./report/sample-store.js";
import { BENCH_USAGE, parseBenchOptions } from "./run/bench-options.js";
import { latencyFamily, MODE_SETTINGS, SCENARIO_NAMES, throughputFamilies } from "./run/bench-plan.js";
import { startBenchServerProcess } from "./run/bench-server-process.js";
import { detectPinning, killAllChildren } from "./run/child-processes.js";
import { chooseRates } from "./run/choose-rates.js";
import { compileBench } from "./run/compile-bench.js";
import { ensureLibraryBuild } from "./run/ensure-library-build.js";
import { runRounds } from "./run/run-rounds.js";
import { createSeededRandom } from "./run/seeded-random.js";
import { STACK_NAMES } from "./stacks/bench-client.js";

const CONNECTIONS =
  "one HTTP/2 connection per stack: ours with maxConnections 1 (the default 4 opens a second only at the server's stream limit, 20,000 here), connect-node's and grpc-js's defaults (both grpc-js stacks), one raw session";

const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(repositoryRoot, "bench/results");

process.on("exit", killAllChildren);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAllChildren();
    console.error(`\nbench: interrupted (${signal})`);
    process.exit(130);
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
  killAllChildren();
  process.exitCode = 1;
}

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2), () => Math.floor(Math.random() * 2 ** 31));
  if (options.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg();
  const libraryBuild = await ensureLibraryBuild(repositoryRoot, { build: options.build });
  if (libraryBuild === "stale") console.error("warning: dist/ is older than src/ (--no-build): measuring the old build");
  const buildDir = await compileBench(repositoryRoot);
  const pinning = detectPinning();
  const pinningText = pinning
    ? `server on CPU ${pinning.serverCpu}, clients on CPU ${pinning.clientCpu} (taskset)`
    : "none (taskset unavailable or one CPU)";
  const server = await startBenchServerProcess(buildDir, pinning?.serverCpu);
  try {
    await mkdir(resultsDir, { recursive: true });
    if (options.profile !== undefined) {
      const summary = await runProfile(options.profile, {
        repositoryRoot,
        buildDir,
        baseUrl: server.url,
        clientCpu: pinning?.clientCpu,
        resultsDir,
      });
      console.log(summary);
      return 0;
    }

    const settings = MODE_SETTINGS[options.mode];
    console.error(
      `bench: ${options.mode} mode, seed ${options.seed}, ${settings.repeats} runs per stack and scenario, pinning: ${pinningText}`,
    );
    const store = createSampleStore();
    const context = {
      buildDir,
      baseUrl: server.url,
      clientCpu: pinning?.clientCpu,
      store,
      random: createSeededRandom(options.seed),
      log: (l: string) => console.error(l),
    };
    await runRounds("A", settings.repeats, STACK_NAMES, throughputFamilies(options.mode), context);
    const rates = chooseRates(store, STACK_NAMES, settings.latency.rateFraction);
    console.error(
      `fixed rates for latency: ${Object.entries(rates)
        .map(([size, rate]) => `${size} ${rate}/s`)
        .join(", ")}`,
    );
    await runRounds("B", settings.repeats, STACK_NAMES, [latencyFamily(options.mode, rates)], context);

    const rows = collectResults(store, SCENARIO_NAMES);
    const bundleSizes = await readBundleSizes(repositoryRoot).catch(() => undefined);
    const durationSec = Math.round((performance.now() - started) / 1000);
    const cpuList = cpus();
    const machine = {
      platform: platform(),
      arch: arch(),
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model ?? "unknown",
      totalMemBytes: totalmem(),
      loadAverageAtStart,
    };
    const table = renderTable(
      {
        title: `Benchmark: ${options.mode} mode, ${startedAt.slice(0, 10)}`,
        lines: [
          `Node ${process.version}, ${machine.platform} ${machine.arch}, ${machine.cpus} × ${machine.cpuModel}; pinning: ${pinningText}; load average at start ${loadAverageAtStart.map((l) => l.toFixed(2)).join(" ")}.`,
          `Seed ${options.seed} (replay with \`--seed ${options.seed}\`); ${settings.repeats} runs per stack and scenario, each in a fresh process, interleaved in random order; ${durationSec} s in all.`,
          `Library: dist/ ${libraryBuild}. Connections: ${CONNECTIONS}.`,
          `Latency at fixed rates (open loop, from each call's scheduled start), ${settings.latency.rateFraction * 100}% of the slowest stack's closed-loop capacity: ${Object.entries(
            rates,
          )
            .map(([size, rate]) => `${size} ${rate.toLocaleString("en-US")}/s`)
            .join(", ")}.`,
          `Warm-ups: unary at least ${settings.unary.firstWarmupCalls} calls first, then ${settings.unary.warmupCalls}; fixed-rate latency ${settings.latency.warmupCalls} calls. Measured windows: unary at least ${settings.unary.durationMs} ms and ${settings.unary.minCalls} calls (within ${settings.unary.maxDurationMs / 1000} s), streaming at least ${settings.streaming.durationMs} ms and ${settings.streaming.minCalls} streams (within ${settings.streaming.maxDurationMs / 1000} s), fixed-rate latency ${settings.latency.minCalls} calls (within ${settings.latency.maxDurationMs / 1000} s).`,
          `open-streams holds ${settings.openStreams.streams.toLocaleString("en-US")} WatchUsers streams${options.mode === "quick" ? " (quick mode: 1,000, not 10,000)" : ""}, opened within ${settings.openStreams.openTimeoutMs / 1000} s. Web bundle sizes: bench/bundle-size/bundle-size.json (esbuild ${bundleSizes?.esbuild ?? "?"}), not rebuilt.`,
        ],
      },
      rows,
      bundleSizes,
    );
    const document: ResultsDocument = {
      mode: options.mode,
      seed: options.seed,
      startedAt,
      durationSec,
      node: process.version,
      machine,
      pinning: pinningText,
      libraryBuild,
      settings,
      latencyRates: rates,
      stacks: STACK_NAMES,
      connections: CONNECTIONS,
      results: rows,
      goals: evaluateGoals(rows),
      bundleSizes,
    };
    const base = join(resultsDir, options.mode === "full" ? "latest" : "latest-quick");
    await writeFile(`${base}.md`, `${table}\n`);
    await writeFile(`${base}.json`, `${JSON.stringify(document, null, 2)}\n`);
    console.log(table);
    console.error(`\nwrote ${base}.md and ${base}.json`);

    const missing = missingFigures(rows);
    if (missing.length > 0) {
      console.error(`\nbench: ${missing.length} figure(s) missing:\n  ${missing.join("\n  ")}`);
      return 1;
    }
    return 0;
  } finally {
    await server.stop();
  }
}
