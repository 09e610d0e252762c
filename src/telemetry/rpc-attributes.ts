import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Attributes } from "@opentelemetry/api";

/** The RPC systems of OpenTelemetry's RPC conventions that this package speaks. */
export type RpcSystem = "grpc" | "connect_rpc";

/** What the telemetry records about a call, read once from its request. */
export interface RpcDescription {
  /** "grpc" for gRPC and gRPC-Web, "connect_rpc" for the Connect protocol. */
  readonly system: RpcSystem;
  /** "user.v1.UserService/GetUser": the span name, and `grpc.method` of gRFC A66. */
  readonly fullMethod: string;
  /** Span and `rpc.*` metric attributes: system, service, method, server address and port. */
  readonly attributes: Attributes;
  /** The `grpc.target` of gRFC A66: the URL the call went to, without the method path. */
  readonly target: string;
}

interface RpcRequest {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly url: string;
  readonly header: Headers;
}

/**
 * Describes a call in OpenTelemetry's RPC conventions (rpc.system,
 * rpc.service, rpc.method, server.address, server.port), the attribute set
 * connect-go's and grpc-java's instrumentations record.
 */
export function describeRpc(req: RpcRequest): RpcDescription {
  const fullMethod = `${req.service.typeName}/${req.method.name}`;
  const attributes: Attributes = {
    "rpc.system": rpcSystemOf(req.header),
    "rpc.service": req.service.typeName,
    "rpc.method": req.method.name,
  };
  let target = req.url;
  try {
    const url = new URL(req.url);
    attributes["server.address"] = url.hostname.replace(/^\[(.*)\]$/, "$1");
    attributes["server.port"] = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    const suffix = `/${fullMethod}`;
    target = req.url.endsWith(suffix) ? req.url.slice(0, -suffix.length) : url.origin;
  } catch {
    // A relative URL (a server behind a proxy that rewrote it): no address to report.
  }
  return { system: attributes["rpc.system"] as RpcSystem, fullMethod, attributes, target };
}

/**
 * The protocol of a call, from what the transport (or the client) put in the
 * request: gRPC and gRPC-Web send `application/grpc…`; Connect sends
 * `application/connect+…` for streams, `application/proto` or `…/json` for
 * unary calls, and no content type at all in a GET.
 */
export function rpcSystemOf(header: Headers): RpcSystem {
  return (header.get("content-type") ?? "").startsWith("application/grpc") ? "grpc" : "connect_rpc";
}

/**
 * The status attribute of the conventions: `rpc.grpc.status_code` (numeric,
 * 0 on success) for gRPC, `rpc.connect_rpc.error_code` (only on error) for Connect.
 */
export function statusAttributes(system: RpcSystem, code: Code | undefined): Attributes {
  if (system === "grpc") return { "rpc.grpc.status_code": code ?? 0 };
  return code === undefined ? {} : { "rpc.connect_rpc.error_code": connectErrorCode(code) };
}

/** The names gRPC gives status codes, by number: the `grpc.status` of gRFC A66. */
const grpcStatusNames = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

/** "OK", "UNAVAILABLE", …: the `grpc.status` label of gRFC A66. */
export function grpcStatusName(code: Code | undefined): string {
  return grpcStatusNames[code ?? 0] ?? String(code);
}

/**
 * "unavailable", "cancelled", …: the values of `rpc.connect_rpc.error_code`,
 * which are the Connect protocol's code names except for "cancelled", spelled
 * as the convention lists it (Connect says "canceled").
 */
export function connectErrorCode(code: Code): string {
  return code === Code.Canceled ? "cancelled" : grpcStatusName(code).toLowerCase();
}
