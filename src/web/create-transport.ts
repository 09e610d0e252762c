import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { createBrowserStreamingGuard } from "../transport/browser-streaming-guard.js";
import { createInterceptorStack } from "../transport/create-interceptor-stack.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { validateTransportOptions } from "../transport/validate-transport-options.js";

/**
 * Creates a Transport for browsers (fetch): gRPC-Web by default, Connect on
 * request, with the same interceptors as on Node. Client-streaming and bidi
 * calls fail at once with UNIMPLEMENTED, since fetch cannot stream request
 * bodies. Node-only options (TLS files, keepalive, compression, message size limits)
 * are ignored: the browser and fetch own those.
 */
export function createTransport(options: TransportOptions): Transport {
  validateTransportOptions(options, ["grpc-web", "connect"]);
  const interceptors = [createBrowserStreamingGuard(), ...createInterceptorStack(options)];
  const common = {
    baseUrl: options.baseUrl,
    interceptors,
    ...(options.useBinaryFormat !== undefined && { useBinaryFormat: options.useBinaryFormat }),
  };
  return (options.protocol ?? "grpc-web") === "connect"
    ? createConnectTransport(common)
    : createGrpcWebTransport(common);
}
