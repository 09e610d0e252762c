// Turns the vitest JSON report of the interop test files into the interop
// matrix: one row per peer, one cell per interop case; and one line per other
// interop suite (the Python tests, the grpc-js client), with its counts.

/** The parts of vitest's JSON reporter output (Jest's format) the matrix reads. */
export interface VitestJsonReport {
  success: boolean;
  testResults: {
    /** The test file's absolute path. */
    name: string;
    status: string;
    /** Why the file failed outside any test (an import error, a failing beforeAll). */
    message: string;
    assertionResults: {
      ancestorTitles: string[];
      title: string;
      status: "passed" | "failed" | "skipped" | "pending" | "todo" | "disabled";
      failureMessages: string[];
    }[];
  }[];
}

export type CellStatus = "pass" | "fail" | "skip";

/** One peer: our client ran each interop case against it. */
export interface PeerRow {
  peer: string;
  cells: Map<string, CellStatus>;
  /** Why the row was skipped, or why the peer counts as missing. */
  note?: string;
}

/** Another interop suite, counted as a whole. */
export interface SuiteRow {
  suite: string;
  passed: number;
  failed: number;
  skipped: number;
}

export interface Failure {
  where: string;
  message: string;
}

export interface InteropMatrix {
  caseNames: readonly string[];
  peers: PeerRow[];
  suites: SuiteRow[];
  failures: Failure[];
  /** Whether anything failed: a test, a whole file, or vitest itself. */
  failed: boolean;
}

/** The test describeInteropPeer declares, under CI=true, for a peer that is not installed. */
const MISSING_PEER_TEST = "is installed";
const SKIP_PREFIX = "skipped: ";

const cellOf = (status: string): CellStatus => (status === "passed" ? "pass" : status === "failed" ? "fail" : "skip");
const firstLine = (text: string) => (text.trim().split("\n")[0] ?? "").slice(0, 240);

/**
 * Sorts the report's tests into peer rows (top-level describe blocks that hold
 * interop cases) and suite rows (every other top-level describe block).
 */
export function buildInteropMatrix(report: VitestJsonReport, caseNames: readonly string[]): InteropMatrix {
  const known = new Set(caseNames);
  const groups = new Map<string, VitestJsonReport["testResults"][number]["assertionResults"]>();
  const failures: Failure[] = [];
  for (const file of report.testResults) {
    const where = file.name.replace(/^.*\/test\//, "test/");
    if (file.status === "failed" && file.message.trim() !== "") {
      failures.push({ where, message: firstLine(file.message) });
    } else if (file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed")) {
      // e.g. a failing beforeAll: the JSON report keeps no message for it.
      failures.push({ where, message: "failed outside its tests (see the vitest output above)" });
    }
    for (const test of file.assertionResults) {
      const group = test.ancestorTitles[0] ?? test.title;
      groups.set(group, [...(groups.get(group) ?? []), test]);
    }
  }

  const peers: PeerRow[] = [];
  const suites: SuiteRow[] = [];
  for (const [group, tests] of groups) {
    for (const test of tests.filter((t) => t.status === "failed")) {
      failures.push({ where: [...test.ancestorTitles, test.title].join(" › "), message: firstLine(test.failureMessages[0] ?? "") });
    }
    if (!tests.some((t) => known.has(t.title) || t.title === MISSING_PEER_TEST)) {
      suites.push({
        suite: group,
        passed: tests.filter((t) => t.status === "passed").length,
        failed: tests.filter((t) => t.status === "failed").length,
        skipped: tests.filter((t) => t.status !== "passed" && t.status !== "failed").length,
      });
      continue;
    }
    const missing = tests.find((t) => t.title === MISSING_PEER_TEST && t.status === "failed");
    const cells = new Map<string, CellStatus>();
    for (const name of caseNames) {
      const test = tests.find((t) => t.title === name);
      // A peer missing in CI ran no case: every cell fails with it.
      cells.set(name, missing ? "fail" : test ? cellOf(test.status) : "skip");
    }
    const skipped = tests.find((t) => t.ancestorTitles[1]?.startsWith(SKIP_PREFIX))?.ancestorTitles[1];
    const note = missing ? `missing: ${firstLine(missing.failureMessages[0] ?? "")}` : skipped;
    peers.push({ peer: group, cells, ...(note !== undefined && { note }) });
  }
  // Files finish in any order: sort, so the matrix reads the same every run.
  peers.sort((a, b) => a.peer.localeCompare(b.peer));
  suites.sort((a, b) => a.suite.localeCompare(b.suite));
  return { caseNames, peers, suites, failures, failed: !report.success || failures.length > 0 };
}

const SYMBOL: Record<CellStatus, string> = { pass: "ok", fail: "FAIL", skip: "skip" };

/** The matrix as plain text: a case legend, the peer rows, the suite rows, failures and totals. */
export function formatInteropMatrix(matrix: InteropMatrix): string {
  const lines: string[] = [];
  const { caseNames, peers, suites } = matrix;
  const peerWidth = Math.max(4, ...peers.map((p) => p.peer.length));
  const cellWidth = 5;

  lines.push("gRPC interop cases: our client (createTransport, gRPC over HTTP/2) against each peer");
  caseNames.forEach((name, i) => {
    lines.push(`  ${String(i + 1).padStart(2)}  ${name}`);
  });
  lines.push("");
  const header = caseNames.map((_, i) => String(i + 1).padStart(cellWidth)).join("");
  lines.push(`${"peer".padEnd(peerWidth)}${header}   passed`);
  let casesPassed = 0;
  let casesFailed = 0;
  let casesSkipped = 0;
  for (const row of peers) {
    const statuses = caseNames.map((name) => row.cells.get(name) ?? "skip");
    const passed = statuses.filter((s) => s === "pass").length;
    casesPassed += passed;
    casesFailed += statuses.filter((s) => s === "fail").length;
    casesSkipped += statuses.filter((s) => s === "skip").length;
    const cells = statuses.map((s) => SYMBOL[s].padStart(cellWidth)).join("");
    lines.push(`${row.peer.padEnd(peerWidth)}${cells}   ${passed}/${caseNames.length}${row.note ? `  (${row.note})` : ""}`);
  }

  if (suites.length > 0) {
    const suiteWidth = Math.max(5, ...suites.map((s) => s.suite.length));
    lines.push("", `${"other interop suites".padEnd(suiteWidth)}  passed  failed  skipped`);
    for (const s of suites) {
      lines.push(
        `${s.suite.padEnd(suiteWidth)}  ${String(s.passed).padStart(6)}  ${String(s.failed).padStart(6)}  ${String(s.skipped).padStart(7)}`,
      );
    }
  }

  if (matrix.failures.length > 0) {
    lines.push("", "failures:");
    for (const f of matrix.failures) lines.push(`  ${f.where}: ${f.message}`);
  }

  const suitePassed = suites.reduce((n, s) => n + s.passed, 0);
  const suiteFailed = suites.reduce((n, s) => n + s.failed, 0);
  const suiteSkipped = suites.reduce((n, s) => n + s.skipped, 0);
  lines.push(
    "",
    `interop cases: ${casesPassed} passed, ${casesFailed} failed, ${casesSkipped} skipped (${peers.length} peers x ${caseNames.length} cases)`,
    `other suites:  ${suitePassed} passed, ${suiteFailed} failed, ${suiteSkipped} skipped`,
    `interop: ${matrix.failed ? "FAILED" : "passed"}`,
  );
  return lines.join("\n");
}
