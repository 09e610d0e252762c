import { describe, expect, it } from "vitest";
import { formatSpanLine, formatTraceTree } from "../../src/cli/trace-tree.js";
import type { RecordedSpan } from "../../src/telemetry/trace-recorder.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

function span(init: Partial<RecordedSpan> & Pick<RecordedSpan, "spanId" | "startMs" | "endMs">): RecordedSpan {
  return {
    name: "user.v1.UserService/GetUser",
    kind: 2,
    traceId,
    parentSpanId: undefined,
    parentIsRemote: false,
    attributes: {},
    events: [],
    status: { code: 0 },
    ...init,
  };
}

const attempt = (n: number, startMs: number, endMs: number, attributes: RecordedSpan["attributes"], message?: string) =>
  span({
    name: "user.v1.UserService/GetUser attempt",
    kind: 0,
    spanId: `a${n}`,
    parentSpanId: "call",
    startMs,
    endMs,
    attributes: { "rpc.attempt.number": n, "rpc.attempt.delay_ms": 0, "rpc.attempt.transparent": false, ...attributes },
    ...(message !== undefined && { status: { code: 2, message } }),
  });

describe("formatTraceTree", () => {
  it("draws a call that succeeds on its second attempt, with the backoff and each status", () => {
    const spans = [
      attempt(1, 1000, 1003.1, { "rpc.grpc.status_code": 14 }, "injected failure 1 of 1 for GetUser"),
      attempt(2, 1107.1, 1109.7, { "rpc.grpc.status_code": 0, "rpc.attempt.delay_ms": 104.2 }),
      span({ spanId: "call", startMs: 999.5, endMs: 1111.9, attributes: { "rpc.grpc.status_code": 0 } }),
    ];
    expect(formatTraceTree(spans)).toEqual([
      `trace ${traceId}`,
      "└─ user.v1.UserService/GetUser  client  ok  112.4 ms",
      "   ├─ attempt 1  unavailable  3.1 ms  injected failure 1 of 1 for GetUser",
      "   └─ attempt 2  after 104 ms backoff  ok  2.6 ms",
    ]);
  });

  it("draws a failed Connect call, a transparent retry and a throttled retry", () => {
    const spans = [
      span({
        spanId: "call",
        startMs: 0,
        endMs: 20,
        attributes: { "rpc.connect_rpc.error_code": "unavailable" },
        status: { code: 2, message: "no server" },
        events: [
          { name: "exception", attributes: {} },
          { name: "retry throttled", attributes: {} },
        ],
      }),
      attempt(1, 1, 5, { "rpc.connect_rpc.error_code": "unavailable" }, "refused"),
      attempt(2, 6, 9, { "rpc.connect_rpc.error_code": "unavailable", "rpc.attempt.transparent": true }, "no server"),
    ];
    expect(formatTraceTree(spans)).toEqual([
      `trace ${traceId}`,
      "└─ user.v1.UserService/GetUser  client  unavailable  20.0 ms  no server",
      "   ├─ attempt 1  unavailable  4.0 ms  refused",
      "   ├─ attempt 2  transparent retry  unavailable  3.0 ms  no server",
      "   └─ retry refused by the retry throttle",
    ]);
  });

  it("draws one tree per trace, in the order the calls started", () => {
    const second = span({ spanId: "s2", traceId: "b".repeat(32), startMs: 50, endMs: 60, attributes: { "rpc.grpc.status_code": 5 } });
    const first = span({ spanId: "s1", traceId: "a".repeat(32), name: "user.v1.UserService/ListUsers", startMs: 10, endMs: 20 });
    expect(formatTraceTree([second, first])).toEqual([
      `trace ${"a".repeat(32)}`,
      "└─ user.v1.UserService/ListUsers  client  ok  10.0 ms",
      `trace ${"b".repeat(32)}`,
      "└─ user.v1.UserService/GetUser  client  not_found  10.0 ms",
    ]);
  });

  it("prints nothing without spans", () => {
    expect(formatTraceTree([])).toEqual([]);
  });
});

describe("formatSpanLine", () => {
  it("shows a server span with its trace id and remote parent", () => {
    const line = formatSpanLine(
      span({
        spanId: "s",
        kind: 1,
        parentSpanId: "00f067aa0ba902b7",
        parentIsRemote: true,
        startMs: 0,
        endMs: 0.4,
        attributes: { "rpc.grpc.status_code": 0 },
      }),
    );
    expect(line).toBe(`trace ${traceId}  user.v1.UserService/GetUser  server  ok  0.4 ms  parent 00f067aa0ba902b7 (remote)`);
  });
});
