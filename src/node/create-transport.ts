import type { Transport } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { createInterceptorStack, typedErrorOptions } from "../transport/create-interceptor-stack.js";
import { DEFAULT_READ_MAX_BYTES, type TransportOptions } from "../transport/transport-options.js";
import { createTypedErrorTransport } from "../transport/typed-error-transport.js";
import { validateTransportOptions } from "../transport/validate-transport-options.js";
import { nodeAmbientCorrelationId, nodeAmbientDeadline } from "./ambient-context.js";

/**
 * Creates a Transport for Node: gRPC over HTTP/2 by default, gRPC-Web or
 * Connect on request, with auth, retries, deadlines, logging and correlation
 * installed in a fixed order (see createInterceptorStack). Deadlines and
 * correlation ids propagate from the ambient context (a reference-server
 * handler, or `withDeadline`). Every error a call ends with is a typed
 * error (NotFoundError, ...). Throws at once on a bad option.
 */
export function createTransport(options: TransportOptions): Transport {
  const protocol = validateTransportOptions(options);
  const interceptors = createInterceptorStack(options, {
    deadline: nodeAmbientDeadline,
    correlationId: nodeAmbientCorrelationId,
  });
  const tls = {
    ...(options.ca !== undefined && { ca: options.ca }),
    ...(options.cert !== undefined && { cert: options.cert }),
    ...(options.key !== undefined && { key: options.key }),
    ...(options.servername !== undefined && { servername: options.servername }),
    ...(options.rejectUnauthorized !== undefined && { rejectUnauthorized: options.rejectUnauthorized }),
  };
  const common = {
    baseUrl: options.baseUrl,
    interceptors,
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    ...(options.writeMaxBytes !== undefined && { writeMaxBytes: options.writeMaxBytes }),
    acceptCompression: [compressionGzip, compressionBrotli],
    ...(options.sendCompression !== undefined && {
      sendCompression: options.sendCompression === "gzip" ? compressionGzip : compressionBrotli,
    }),
    ...(options.useBinaryFormat !== undefined && { useBinaryFormat: options.useBinaryFormat }),
    ...(options.keepaliveIntervalMs !== undefined && { pingIntervalMs: options.keepaliveIntervalMs }),
    ...(options.keepaliveTimeoutMs !== undefined && { pingTimeoutMs: options.keepaliveTimeoutMs }),
    ...(options.idleTimeoutMs !== undefined && { idleConnectionTimeoutMs: options.idleTimeoutMs }),
    ...(Object.keys(tls).length > 0 && { nodeOptions: tls }),
  };
  const httpVersion = options.httpVersion ?? "2";
  const transport =
    protocol === "grpc"
      ? createGrpcTransport(common)
      : protocol === "grpc-web"
        ? createGrpcWebTransport({ ...common, httpVersion })
        : createConnectTransport({ ...common, httpVersion });
  return createTypedErrorTransport(transport, typedErrorOptions(options));
}
