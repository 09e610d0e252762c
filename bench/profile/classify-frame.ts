/** A V8 CPU profile call frame (the fields used here). */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber?: number;
}

/**
 * Which part of the software a function belongs to, from its script URL:
 * ours (dist/src), generated code, connect, connect-node, protobuf-es,
 * grpc-js, other packages, the bench harness, Node's http2, other Node
 * internals, V8 builtins, or V8's pseudo-frames (GC, idle, program).
 */
export function classifyFrame(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") {
    if (functionName === "(garbage collector)") return "gc";
    if (functionName === "(idle)") return "idle";
    if (functionName === "(program)") return "program (native, unattributed)";
    if (functionName === "(root)") return "root";
    return "v8 builtins";
  }
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg !== undefined) {
    const names: Record<string, string> = {
      "@connectrpc/connect": "connect",
      "@connectrpc/connect-node": "connect-node",
      "@bufbuild/protobuf": "protobuf-es",
      "@grpc/grpc-js": "grpc-js",
    };
    return names[pkg] ?? pkg;
  }
  if (url.includes("/dist/src/")) return "ours";
  if (url.includes("/dist/gen/")) return "generated";
  if (url.includes("/bench-build/bench/")) return "bench harness";
  if (url.startsWith("node:internal/http2") || url === "node:http2") return "node http2";
  if (url.startsWith("node:")) return "node internals";
  return "other";
}
