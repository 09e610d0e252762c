import { describe, expect, it } from "vitest";
import { buildInteropMatrix, formatInteropMatrix, type VitestJsonReport } from "./interop-matrix.js";

type Test = VitestJsonReport["testResults"][number]["assertionResults"][number];

const test = (ancestorTitles: string[], title: string, status: Test["status"], failure = ""): Test => ({
  ancestorTitles,
  title,
  status,
  failureMessages: failure ? [failure] : [],
});

const report = (tests: Test[], fileMessage = ""): VitestJsonReport => ({
  success: tests.every((t) => t.status !== "failed") && fileMessage === "",
  testResults: [
    { name: "/repo/test/interop/x.test.ts", status: fileMessage ? "failed" : "passed", message: fileMessage, assertionResults: tests },
  ],
});

const CASES = ["empty_unary", "large_unary"];

describe("buildInteropMatrix", () => {
  it("makes a peer row of each describe block holding interop cases, and a suite row of any other", () => {
    const matrix = buildInteropMatrix(
      report([
        test(["grpc-go plaintext"], "empty_unary", "passed"),
        test(["grpc-go plaintext"], "large_unary", "failed", "AssertionError: payload body size\nstack"),
        test(["the Python grpcio client", "against the reference server"], "passes the get checks", "passed"),
        test(["the Python grpcio client", "against the reference server"], "passes the auth checks", "skipped"),
      ]),
      CASES,
    );
    expect(matrix.peers).toEqual([
      {
        peer: "grpc-go plaintext",
        cells: new Map([
          ["empty_unary", "pass"],
          ["large_unary", "fail"],
        ]),
      },
    ]);
    expect(matrix.suites).toEqual([{ suite: "the Python grpcio client", passed: 1, failed: 0, skipped: 1 }]);
    expect(matrix.failures).toEqual([{ where: "grpc-go plaintext › large_unary", message: "AssertionError: payload body size" }]);
    expect(matrix.failed).toBe(true);
  });

  it("notes why a peer was skipped, and does not count the skip as a failure", () => {
    const skipped = ["ruby plaintext", "skipped: ruby cannot require grpc; install with: apt-get install -y ruby-grpc"];
    const matrix = buildInteropMatrix(report(CASES.map((name) => test(skipped, name, "skipped"))), CASES);
    expect(matrix.peers[0]).toMatchObject({ peer: "ruby plaintext", note: skipped[1] });
    expect([...matrix.peers[0]!.cells.values()]).toEqual(["skip", "skip"]);
    expect(matrix.failed).toBe(false);
  });

  it("fails every cell of a peer missing under CI", () => {
    const matrix = buildInteropMatrix(
      report([test(["grpc-go TLS"], "is installed", "failed", "Error: grpc-go TLS is missing (go is not available)")]),
      CASES,
    );
    expect(matrix.peers[0]).toMatchObject({ note: "missing: Error: grpc-go TLS is missing (go is not available)" });
    expect([...matrix.peers[0]!.cells.values()]).toEqual(["fail", "fail"]);
    expect(matrix.failed).toBe(true);
  });

  it("reports a file that failed outside its tests", () => {
    const matrix = buildInteropMatrix(report([], "Error: Cannot find module './gone.js'"), CASES);
    expect(matrix.failures).toEqual([{ where: "test/interop/x.test.ts", message: "Error: Cannot find module './gone.js'" }]);
    expect(matrix.failed).toBe(true);
  });

  it("reports a failed file whose tests were all skipped, though the report says no more", () => {
    const failed = report(CASES.map((name) => test(["suite"], name, "skipped")));
    failed.success = false;
    failed.testResults[0]!.status = "failed";
    const matrix = buildInteropMatrix(failed, CASES);
    expect(matrix.failures).toEqual([
      { where: "test/interop/x.test.ts", message: "failed outside its tests (see the vitest output above)" },
    ]);
    expect(matrix.failed).toBe(true);
  });
});

describe("formatInteropMatrix", () => {
  it("prints a numbered case legend, one line per peer with its pass count, and totals", () => {
    const text = formatInteropMatrix(
      buildInteropMatrix(
        report([test(["grpc-js server"], "empty_unary", "passed"), test(["grpc-js server"], "large_unary", "passed")]),
        CASES,
      ),
    );
    expect(text.split("\n")).toEqual([
      "gRPC interop cases: our client (createTransport, gRPC over HTTP/2) against each peer",
      "   1  empty_unary",
      "   2  large_unary",
      "",
      "peer              1    2   passed",
      "grpc-js server   ok   ok   2/2",
      "",
      "interop cases: 2 passed, 0 failed, 0 skipped (1 peers x 2 cases)",
      "other suites:  0 passed, 0 failed, 0 skipped",
      "interop: passed",
    ]);
  });
});
