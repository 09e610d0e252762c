/**
 * Reading and writing the request header that carries a call's timeout.
 *
 * gRPC and gRPC-Web send `grpc-timeout` (at most 8 digits and a unit, per
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md); the Connect
 * protocol sends `connect-timeout-ms` (at most 10 digits, per
 * https://connectrpc.com/docs/protocol/#unary-request). The content-type tells
 * which protocol a request speaks.
 */

/** Header of the gRPC and gRPC-Web protocols. */
export const grpcTimeoutHeader = "grpc-timeout";

/** Header of the Connect protocol. */
export const connectTimeoutHeader = "connect-timeout-ms";

// Reading accepts more digits than the specs allow: the transport writes a
// caller's `timeoutMs` as plain milliseconds, however large.
const grpcTimeoutPattern = /^(\d{1,16})([HMSmun])$/;
const connectTimeoutPattern = /^\d{1,16}$/;

const msPerGrpcUnit = {
  H: 60 * 60 * 1000,
  M: 60 * 1000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
} as const;

type GrpcUnit = keyof typeof msPerGrpcUnit;

// Coarsest last: a timeout is written in the finest unit whose value fits.
const grpcUnitsFinestFirst: readonly GrpcUnit[] = ["m", "S", "M", "H"];
const maxGrpcValue = 99_999_999;
const maxConnectTimeoutMs = 9_999_999_999;

/**
 * Whether the request speaks gRPC or gRPC-Web (content-type
 * `application/grpc...`) rather than the Connect protocol.
 */
export function usesGrpcTimeoutHeader(header: Headers): boolean {
  const contentType = header.get("content-type") ?? "";
  return contentType.toLowerCase().startsWith("application/grpc");
}

/**
 * Returns the timeout in milliseconds that the request header carries, from
 * `grpc-timeout` or `connect-timeout-ms`, or undefined when it carries none or
 * the value is malformed.
 */
export function readTimeoutHeader(header: Headers): number | undefined {
  const grpc = header.get(grpcTimeoutHeader);
  if (grpc !== null) {
    const match = grpcTimeoutPattern.exec(grpc.trim());
    if (match === null) return undefined;
    const [, digits = "", unit = "m"] = match;
    return Number.parseInt(digits, 10) * msPerGrpcUnit[unit as GrpcUnit];
  }
  const connect = header.get(connectTimeoutHeader);
  if (connect !== null) {
    const value = connect.trim();
    return connectTimeoutPattern.test(value) ? Number.parseInt(value, 10) : undefined;
  }
  return undefined;
}

/**
 * Sets the timeout header the request's protocol understands, and removes the
 * other one so a server never sees two disagreeing values.
 */
export function writeTimeoutHeader(header: Headers, timeoutMs: number): void {
  if (usesGrpcTimeoutHeader(header)) {
    header.delete(connectTimeoutHeader);
    header.set(grpcTimeoutHeader, encodeGrpcTimeout(timeoutMs));
  } else {
    header.delete(grpcTimeoutHeader);
    header.set(connectTimeoutHeader, encodeConnectTimeout(timeoutMs));
  }
}

/**
 * Encodes milliseconds as a `grpc-timeout` value: whole milliseconds while
 * they fit in 8 digits, else a coarser unit rounded up (a server must never
 * see less time than the client allows). A value under 1 ms is sent as 1 ms.
 */
export function encodeGrpcTimeout(timeoutMs: number): string {
  const ms = Math.max(1, Math.ceil(timeoutMs));
  for (const unit of grpcUnitsFinestFirst) {
    const value = Math.ceil(ms / msPerGrpcUnit[unit]);
    if (value <= maxGrpcValue) return `${value}${unit}`;
  }
  return `${maxGrpcValue}H`;
}

/** Encodes milliseconds as a `connect-timeout-ms` value (1 ms or more). */
export function encodeConnectTimeout(timeoutMs: number): string {
  const ms = Math.min(maxConnectTimeoutMs, Math.max(1, Math.ceil(timeoutMs)));
  return String(ms);
}
