import * as http from "node:http";
import * as https from "node:https";
import type { Transport } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { resolveCallPolicy } from "../call/call-policy.js";
import { createClosableTransport, DEFAULT_CLOSE_GRACE_MS } from "../transport/closable-transport.js";
import { createCallInterceptors, createInterceptorStack, typedErrorOptions } from "../transport/create-interceptor-stack.js";
import { DEFAULT_FLOW_CONTROL_WINDOW_BYTES, DEFAULT_READ_MAX_BYTES, type TransportOptions } from "../transport/transport-options.js";
import { createTypedErrorTransport } from "../transport/typed-error-transport.js";
import { validateTransportOptions } from "../transport/validate-transport-options.js";
import { nodeAmbientCorrelationId, nodeAmbientDeadline } from "./ambient-context.js";
import type { ClientTransport, ConnectivityState } from "../transport/client-transport.js";
import { createConnectionPool } from "./connection/connection-pool.js";
import { parseTarget } from "./connection/parse-target.js";
import { createGrpcTransport as createOurGrpcTransport } from "./grpc/grpc-transport.js";
import { streamsCancelOnReturn } from "../transport/streams-cancel-on-return.js";

// Sent as user-agent by our gRPC transport (PROTOCOL-HTTP2.md: "grpc-<language>-<implementation>/<version>" is a suggestion, not a rule).
const userAgent = "userctl-rpc/0.1.0";

/** The Node transport: the transport type every platform's createTransport returns (see ClientTransport). */
export type NodeTransport = ClientTransport;

/**
 * Creates a Transport for Node: gRPC over HTTP/2 by default, gRPC-Web or
 * Connect on request, with auth, retries, deadlines, logging and correlation
 * installed in a fixed order (see createInterceptorStack). Deadlines and
 * correlation ids propagate from the ambient context (a reference-server
 * handler, or `withDeadline`). Every error a call ends with is a typed
 * error (NotFoundError, ...). Over HTTP/2 its own connection pool connects
 * with a timeout, keeps connections alive, survives GOAWAY, spreads calls
 * over endpoints and connections, and closes gracefully. Throws at once on a bad option.
 */
export function createTransport(options: TransportOptions): NodeTransport {
  const protocol = validateTransportOptions(options);
  const ambient = { deadline: nodeAmbientDeadline, correlationId: nodeAmbientCorrelationId };
  const tls = {
    ...(options.ca !== undefined && { ca: Array.isArray(options.ca) ? options.ca.map(pem) : pem(options.ca as string | Uint8Array) }),
    ...(options.cert !== undefined && { cert: pem(options.cert) }),
    ...(options.key !== undefined && { key: pem(options.key) }),
    ...(options.servername !== undefined && { servername: options.servername }),
    ...(options.rejectUnauthorized !== undefined && { rejectUnauthorized: options.rejectUnauthorized }),
  };
  const httpVersion = protocol === "grpc" ? "2" : (options.httpVersion ?? "2");
  const target = parseTarget(options.baseUrl, options.ca !== undefined || options.cert !== undefined || options.servername !== undefined);
  const pool =
    httpVersion === "2"
      ? createConnectionPool({
          target,
          connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
          keepaliveIntervalMs: options.keepaliveIntervalMs,
          keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? 20_000,
          keepaliveWithoutCalls: options.keepaliveWithoutCalls ?? false,
          idleTimeoutMs: options.idleTimeoutMs ?? 15 * 60_000,
          maxConnections: options.maxConnections ?? 4,
          flowControlWindowBytes: options.flowControlWindowBytes ?? DEFAULT_FLOW_CONTROL_WINDOW_BYTES,
          // A dns: name resolves to addresses; certificates still name the host.
          nodeOptions: target.dynamic && tls.servername === undefined ? { ...tls, servername: new URL(target.baseUrl).hostname } : tls,
          healthCheckService: options.healthCheck?.service,
          dnsRefreshMs: options.dnsRefreshMs ?? 30_000,
          reconnectInitialBackoffMs: 1_000,
          reconnectMaxBackoffMs: 120_000,
        })
      : undefined;
  // HTTP/1.1 sockets live in an agent of our own, so close() can free them.
  const agent =
    httpVersion === "1.1"
      ? target.baseUrl.startsWith("https:")
        ? new https.Agent({ keepAlive: true, ...tls })
        : new http.Agent({ keepAlive: true })
      : undefined;
  if (protocol === "grpc" && pool !== undefined) {
    return createOwnGrpcTransport(options, target.baseUrl, pool, resolveCallPolicy(options, ambient));
  }
  const interceptors = createInterceptorStack(options, ambient);
  const common = {
    baseUrl: target.baseUrl,
    interceptors,
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    ...(options.writeMaxBytes !== undefined && { writeMaxBytes: options.writeMaxBytes }),
    acceptCompression: [compressionGzip, compressionBrotli],
    ...(options.sendCompression !== undefined && {
      sendCompression: options.sendCompression === "gzip" ? compressionGzip : compressionBrotli,
    }),
    ...(options.compressMinBytes !== undefined && { compressMinBytes: compressMinBytes(options.compressMinBytes) }),
    ...(options.useBinaryFormat !== undefined && { useBinaryFormat: options.useBinaryFormat }),
    ...(options.jsonRegistry !== undefined && { jsonOptions: { registry: options.jsonRegistry } }),
    ...(pool !== undefined && { sessionManager: pool }),
    ...(agent !== undefined && { nodeOptions: { ...tls, agent } }),
  };
  const inner =
    protocol === "grpc"
      ? createGrpcTransport(common)
      : protocol === "grpc-web"
        ? createGrpcWebTransport({ ...common, httpVersion })
        : createConnectTransport({ ...common, httpVersion, ...(options.useHttpGet !== undefined && { useHttpGet: options.useHttpGet }) });
  const closable = createClosableTransport(inner, () => {
    pool?.close();
    agent?.destroy();
  });
  const typed: Transport = createTypedErrorTransport(closable, typedErrorOptions(options));
  let closed = false;
  const state = (): ConnectivityState => (closed ? "closed" : (pool?.state() ?? "ready"));
  return {
    ...typed,
    close(closeOptions) {
      closed = true;
      return closable.close(closeOptions);
    },
    activeCalls: closable.activeCalls,
    [Symbol.asyncDispose]() {
      closed = true;
      return closable.close();
    },
    state,
    endpoints: () => pool?.endpoints() ?? [],
    onStateChange(listener) {
      return pool?.onStateChange(() => listener(state())) ?? (() => {});
    },
    connect: () => pool?.warmUp() ?? Promise.resolve(),
  };
}

/**
 * gRPC over HTTP/2 on our own transport (src/node/grpc/): the built-in
 * policies run in its call loop, telemetry and logging around each call,
 * your interceptors around each attempt.
 */
function createOwnGrpcTransport(
  options: TransportOptions,
  baseUrl: string,
  pool: ReturnType<typeof createConnectionPool>,
  policy: ReturnType<typeof resolveCallPolicy>,
): NodeTransport {
  // Node.js loads its Headers class (undici) on first use, 40 ms or more. Our
  // success path never builds one, so the first error would pay for it after
  // its deadline fired: load it now, while nothing is timed.
  void globalThis.Headers;
  const grpc = createOurGrpcTransport({
    baseUrl,
    pool,
    policy,
    callInterceptors: createCallInterceptors(options),
    attemptInterceptors: options.interceptors ?? [],
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    writeMaxBytes: options.writeMaxBytes,
    sendEncoding: options.sendCompression,
    compressMinBytes: options.compressMinBytes ?? 1024,
    userAgent,
    json: options.useBinaryFormat === false ? { registry: options.jsonRegistry } : undefined,
  });
  let closing: Promise<void> | undefined;
  const close = (closeOptions: { graceMs?: number } = {}) =>
    (closing ??= grpc.close(closeOptions.graceMs ?? DEFAULT_CLOSE_GRACE_MS).then(() => pool.close()));
  const state = (): ConnectivityState => (closing !== undefined ? "closed" : pool.state());
  const transport: NodeTransport & { [streamsCancelOnReturn]: true } = {
    unary: grpc.unary,
    stream: grpc.stream,
    close,
    activeCalls: grpc.activeCalls,
    [Symbol.asyncDispose]: () => close(),
    state,
    endpoints: () => pool.endpoints(),
    onStateChange: (listener) => pool.onStateChange(() => listener(state())),
    connect: () => pool.warmUp(),
    [streamsCancelOnReturn]: true,
  };
  return transport;
}

// connect-es compresses an enveloped message of at least compressMinBytes
// but a Connect unary body only above it (protocol-connect/transport.js), so
// 0 maps to -1 there: "every message" must include the empty one.
function compressMinBytes(value: number): number {
  return value === 0 ? -1 : value;
}

// TransportOptions takes PEM data as a Uint8Array, so its declarations need
// no @types/node; Node's TLS options are typed as Buffer: view it as one, no copy.
function pem(data: string | Uint8Array): string | Buffer {
  return typeof data === "string" || Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
