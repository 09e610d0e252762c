/**
 * `npm run soak`: the fault-injecting proxy soak of issue 13, full form
 * (50,000 calls). Prints the report and exits 1 when a goal is missed.
 * Flags: --calls N, --seed N, --concurrency N, --fault-every N (requests between two connection faults).
 */
import { parseArgs } from "node:util";
import { runSoak } from "./soak.js";
import { checkSoakGoals, formatSoakReport } from "./soak-report.js";

const { values } = parseArgs({
  options: { calls: { type: "string" }, seed: { type: "string" }, concurrency: { type: "string" }, "fault-every": { type: "string" } },
});
const calls = values.calls === undefined ? 50_000 : Number(values.calls);
const report = await runSoak({
  calls,
  ...(values.seed !== undefined && { seed: Number(values.seed) }),
  ...(values.concurrency !== undefined && { concurrency: Number(values.concurrency) }),
  ...(values["fault-every"] !== undefined && { connectionFaultEveryRequests: Number(values["fault-every"]) }),
  progress: (line) => console.error(line),
});
// A shorter run asked for by hand is checked against its own length, not 50,000.
const missed = checkSoakGoals(report, { minCalls: Math.min(calls, 50_000) });
console.log(formatSoakReport(report, missed));
process.exitCode = missed.length === 0 ? 0 : 1;
