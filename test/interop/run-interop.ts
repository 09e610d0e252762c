// `npm run test:interop`: runs the interop test files under vitest, then
// prints the interop matrix (peer x case) and totals, and exits 1 on any
// failure. A peer that is not installed is skipped with its reason, unless
// CI=true, where describeInteropPeer turns it into a failure.
//
// If test-results/conformance.json exists (written by `npm run
// test:conformance`), its totals are printed under the matrix; they do not
// change the exit status, since that file may be from an earlier run.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { interopCases } from "./interop-cases.js";
import { buildInteropMatrix, formatInteropMatrix, type VitestJsonReport } from "./interop-matrix.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const RESULTS = join(REPO, "test-results");
const REPORT = join(RESULTS, "interop.json");
const CONFORMANCE = join(RESULTS, "conformance.json");
const VITEST = join(REPO, "node_modules", "vitest", "vitest.mjs");

mkdirSync(RESULTS, { recursive: true });
rmSync(REPORT, { force: true });
const started = performance.now();
const vitest = spawnSync(
  process.execPath,
  [
    VITEST,
    "run",
    "test/interop/",
    // The matrix's own unit test is not an interop suite.
    "--exclude",
    "test/interop/interop-matrix.test.ts",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${REPORT}`,
  ],
  { cwd: REPO, stdio: "inherit" },
);
const seconds = ((performance.now() - started) / 1_000).toFixed(1);

if (!existsSync(REPORT)) {
  console.error(`\ninterop: vitest wrote no report to ${relative(REPO, REPORT)} (exit ${vitest.status ?? vitest.signal})`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(REPORT, "utf8")) as VitestJsonReport;
const matrix = buildInteropMatrix(
  report,
  interopCases.map((c) => c.name),
);
console.log(`\n${formatInteropMatrix(matrix)} in ${seconds} s`);
if (existsSync(CONFORMANCE)) console.log(`\n${conformanceTotals(CONFORMANCE)}`);
process.exit(matrix.failed || vitest.status !== 0 ? 1 : 0);

/** One line of totals from the conformance results, whichever of the known shapes it has. */
function conformanceTotals(path: string): string {
  const when = statSync(path).mtime.toISOString();
  const where = `${relative(REPO, path)}, ${when}`;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return `conformance (${where}): unreadable: ${String(error)}`;
  }
  const record = (value: unknown): Record<string, unknown> =>
    typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const top = record(data);
  // vitest's JSON reporter
  if (typeof top.numTotalTests === "number") {
    const { numPassedTests, numFailedTests, numPendingTests, numTotalTests } = top;
    return `conformance (${where}): ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests} skipped of ${numTotalTests}`;
  }
  // { passed, failed, skipped?, total? }, at the top or under "totals"
  const totals = typeof top.passed === "number" ? top : record(top.totals);
  if (typeof totals.passed === "number") {
    const parts = ["passed", "failed", "skipped", "total"].filter((k) => typeof totals[k] === "number").map((k) => `${totals[k]} ${k}`);
    return `conformance (${where}): ${parts.join(", ")}`;
  }
  return `conformance (${where}): no totals found (keys: ${Object.keys(top).join(", ")})`;
}
