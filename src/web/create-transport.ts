import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { createBrowserStreamingGuard } from "../transport/browser-streaming-guard.js";
import { createFetchFailureInterceptor } from "../transport/fetch-failure-interceptor.js";
import { createInterceptorStack, typedErrorOptions } from "../transport/create-interceptor-stack.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { createTypedErrorTransport } from "../transport/typed-error-transport.js";
import { validateTransportOptions } from "../transport/validate-transport-options.js";

/**
 * Creates a Transport for browsers (fetch): gRPC-Web by default, Connect on
 * request, with the same interceptors and typed errors as on Node. Client-streaming and bidi
 * calls fail at once with UNIMPLEMENTED, since fetch cannot stream request
 * bodies. Node-only options (TLS files, keepalive, compression, message size limits)
 * are ignored: the browser and fetch own those.
 */
export function createTransport(options: TransportOptions): Transport {
  const protocol = validateTransportOptions(options, { protocols: ["grpc-web", "connect"], defaultProtocol: "grpc-web" });
  const interceptors = createInterceptorStack(options, {
    guard: createBrowserStreamingGuard(),
    network: createFetchFailureInterceptor(),
  });
  const common = {
    baseUrl: options.baseUrl as string, // validated: one URL in browsers
    interceptors,
    ...(options.useBinaryFormat !== undefined && { useBinaryFormat: options.useBinaryFormat }),
    ...(options.jsonRegistry !== undefined && { jsonOptions: { registry: options.jsonRegistry } }),
  };
  const transport =
    protocol === "connect"
      ? createConnectTransport({ ...common, ...(options.useHttpGet !== undefined && { useHttpGet: options.useHttpGet }) })
      : createGrpcWebTransport(common);
  return createTypedErrorTransport(transport, typedErrorOptions(options));
}
