import { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { RecordedSpan } from "../telemetry/trace-recorder.js";

// SpanKind of @opentelemetry/api, inlined: this module must not load the API.
const kindNames: Readonly<Record<number, string>> = { 0: "internal", 1: "server", 2: "client", 3: "producer", 4: "consumer" };

/**
 * Draws the recorded spans as one tree per trace, for `userctl --trace`:
 *
 * ```text
 * trace 4bf92f3577b34da6a3ce929d0e0e4736
 * └─ user.v1.UserService/GetUser  client  ok  112.4 ms
 *    ├─ attempt 1  unavailable  3.1 ms  injected failure 1 of 1 for GetUser
 *    └─ attempt 2  after 104 ms backoff  ok  2.6 ms
 * ```
 *
 * Traces come in the order they started; a span whose parent was not
 * recorded (it lives in another process) is a root of its trace.
 */
export function formatTraceTree(spans: readonly RecordedSpan[]): string[] {
  const byStart = [...spans].sort((a, b) => a.startMs - b.startMs);
  const ids = new Set(byStart.map((s) => s.spanId));
  const children = new Map<string, RecordedSpan[]>();
  const roots: RecordedSpan[] = [];
  for (const span of byStart) {
    if (span.parentSpanId !== undefined && ids.has(span.parentSpanId)) {
      children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span]);
    } else {
      roots.push(span);
    }
  }
  const lines: string[] = [];
  const traceIds = [...new Set(roots.map((r) => r.traceId))];
  for (const traceId of traceIds) {
    lines.push(`trace ${traceId}`);
    const traceRoots = roots.filter((r) => r.traceId === traceId);
    traceRoots.forEach((root, i) => {
      draw(root, "", i === traceRoots.length - 1);
    });
  }
  return lines;

  function draw(span: RecordedSpan, indent: string, last: boolean): void {
    lines.push(`${indent}${last ? "└─ " : "├─ "}${describeSpan(span)}`);
    const below = [...(children.get(span.spanId) ?? []).map((s) => ({ span: s })), ...notes(span).map((note) => ({ note }))];
    const childIndent = indent + (last ? "   " : "│  ");
    below.forEach((item, i) => {
      const isLast = i === below.length - 1;
      if ("span" in item) draw(item.span, childIndent, isLast);
      else lines.push(`${childIndent}${isLast ? "└─ " : "├─ "}${item.note}`);
    });
  }
}

/**
 * One span on one line: `<method>  <kind>  <status>  <duration>[  <error message>]`,
 * or for an attempt `attempt <n>  [after <delay> backoff]  <status>  <duration>…`.
 */
export function describeSpan(span: RecordedSpan): string {
  const attempt = span.attributes["rpc.attempt.number"];
  const parts: string[] = [];
  if (typeof attempt === "number") {
    parts.push(`attempt ${attempt}`);
    if (span.attributes["rpc.attempt.transparent"] === true) parts.push("transparent retry");
    const delayMs = span.attributes["rpc.attempt.delay_ms"];
    if (typeof delayMs === "number" && delayMs > 0) parts.push(`after ${Math.round(delayMs)} ms backoff`);
  } else {
    parts.push(span.name, kindNames[span.kind] ?? "span");
  }
  parts.push(statusOf(span), formatMs(span.endMs - span.startMs));
  if (span.status.message) parts.push(span.status.message);
  return parts.join("  ");
}

/**
 * One line per span for `userctl serve --trace`, with the ids that match it to
 * the client's tree: `trace <id>  <span>  parent <span id>`.
 */
export function formatSpanLine(span: RecordedSpan): string {
  const parent = span.parentSpanId === undefined ? "no parent" : `parent ${span.parentSpanId}${span.parentIsRemote ? " (remote)" : ""}`;
  return `trace ${span.traceId}  ${describeSpan(span)}  ${parent}`;
}

/** Events worth a line of their own under a span. */
function notes(span: RecordedSpan): string[] {
  return span.events.filter((e) => e.name === "retry throttled").map(() => "retry refused by the retry throttle");
}

/** "ok", "unavailable", …: the call's status code as userctl prints codes elsewhere. */
function statusOf(span: RecordedSpan): string {
  const grpc = span.attributes["rpc.grpc.status_code"];
  if (typeof grpc === "number") return grpc === 0 ? "ok" : codeToString(grpc as Code);
  const connect = span.attributes["rpc.connect_rpc.error_code"];
  if (typeof connect === "string") return connect === "cancelled" ? codeToString(Code.Canceled) : connect;
  return span.status.code === 2 ? "error" : "ok";
}

function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
