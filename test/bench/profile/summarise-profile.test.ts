import { describe, expect, it } from "vitest";
import { classifyFrame } from "../../../bench/profile/classify-frame.js";
import { type ProfiledRun, renderProfileComparison, renderProfileSummary } from "../../../bench/profile/render-profile-summary.js";
import { type CpuProfile, summariseProfile } from "../../../bench/profile/summarise-profile.js";

const frame = (functionName: string, url = "", lineNumber = 0) => ({ functionName, url, lineNumber });

describe("classifyFrame", () => {
  it("groups functions by package, our build, Node internals and V8", () => {
    const cases: [ReturnType<typeof frame>, string][] = [
      [frame("parse", "file:///r/node_modules/@bufbuild/protobuf/dist/esm/wire/binary-encoding.js"), "protobuf-es"],
      [frame("run", "file:///r/node_modules/@connectrpc/connect/dist/esm/protocol/run-call.js"), "connect"],
      [frame("req", "file:///r/node_modules/@connectrpc/connect-node/dist/esm/node-universal-client.js"), "connect-node"],
      [frame("send", "file:///r/node_modules/@grpc/grpc-js/build/src/call.js"), "grpc-js"],
      [frame("x", "file:///r/node_modules/tslib/tslib.es6.js"), "tslib"],
      [frame("retry", "file:///r/dist/src/interceptors/retry-interceptor.js"), "ours"],
      [frame("UserSchema", "file:///r/dist/gen/user/v1/user_service_pb.js"), "generated"],
      [frame("loop", "file:///r/.tmp/bench-build/bench/scenarios/measure-window.js"), "bench harness"],
      [frame("request", "node:internal/http2/core"), "node http2"],
      [frame("emit", "node:events"), "node internals"],
      [frame("(garbage collector)"), "gc"],
      [frame("(idle)"), "idle"],
      [frame("(program)"), "program (native, unattributed)"],
      [frame("writeUtf8String"), "v8 builtins"],
    ];
    for (const [f, group] of cases) expect([f.functionName, classifyFrame(f)]).toEqual([f.functionName, group]);
  });
});

// root -> intercept (ours) -> toBinary (protobuf); root -> intercept -> AbortController (node); idle.
// Samples: intercept, toBinary, toBinary, idle, AbortController, intercept (the last lasts 0).
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 4] },
    { id: 2, callFrame: frame("intercept", "file:///r/dist/src/interceptors/auth-interceptor.js", 9), children: [3, 5] },
    { id: 3, callFrame: frame("toBinary", "file:///r/node_modules/@bufbuild/protobuf/dist/esm/to-binary.js", 19) },
    { id: 4, callFrame: frame("(idle)") },
    { id: 5, callFrame: frame("AbortController", "node:internal/abort_controller", 99) },
  ],
  samples: [2, 3, 3, 4, 5, 2],
  timeDeltas: [5, 100, 200, 300, 400, 50],
};

describe("summariseProfile", () => {
  it("counts each sample until the next one, and keeps idle apart", () => {
    const summary = summariseProfile(profile);
    expect(summary.idleUs).toBe(400);
    expect(summary.busyUs).toBe(650);
    expect(summary.groups).toEqual([
      { name: "protobuf-es", group: "protobuf-es", selfUs: 500 },
      { name: "ours", group: "ours", selfUs: 100 },
      { name: "node internals", group: "node internals", selfUs: 50 },
    ]);
    expect(summary.functions.map((f) => [f.name, f.selfUs])).toEqual([
      ["toBinary protobuf/dist/esm/to-binary.js:20", 500],
      ["intercept dist/src/interceptors/auth-interceptor.js:10", 100],
      ["AbortController node:internal/abort_controller:100", 50],
    ]);
  });

  it("charges Node internals to the package that called them", () => {
    expect(summariseProfile(profile).responsible).toEqual([
      { name: "protobuf-es", group: "protobuf-es", selfUs: 500 },
      { name: "ours", group: "ours", selfUs: 150 },
    ]);
  });

  it("fails on a sample of a node the profile lacks", () => {
    expect(() => summariseProfile({ ...profile, samples: [9] })).toThrow("sample 0 names node 9");
  });
});

describe("renderProfileSummary and renderProfileComparison", () => {
  const run = (stack: string, ops: number): ProfiledRun => ({
    stack,
    scenario: "unary-small-c16",
    ops,
    file: `${stack}.cpuprofile`,
    summary: summariseProfile(profile),
  });

  it("put self time per operation by group and function", () => {
    const text = renderProfileSummary(run("ours-full", 10));
    expect(text).toContain("| protobuf-es | 0.500 | 76.9% | 50.0 |");
    expect(text).toContain("| ours | 0.150 | 23.1% | 15.0 |");
    expect(text).toContain("| 1 | `toBinary protobuf/dist/esm/to-binary.js:20` | protobuf-es | 0.500 | 76.9% | 50.0 |");
  });

  it("show what the subject spends per operation beyond the baseline", () => {
    const text = renderProfileComparison([run("ours-full", 10), run("raw-http2", 20)], run("raw-http2", 20));
    expect(text).toContain("| protobuf-es | 50.0 | 25.0 | 25.0 |");
    expect(text).toContain("| **total** | 65.0 | 32.5 | 32.5 |");
    expect(text).toContain("| ours | 15.0 | 7.50 | 7.50 |");
  });
});
