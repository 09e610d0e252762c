import { createConnectTransport } from "@connectrpc/connect-web";
import { createJsonCodec } from "../protocol/json-codec.js";
import { binaryCodec } from "../protocol/message-codec.js";
import { createBrowserStreamingGuard } from "../transport/browser-streaming-guard.js";
import { createClosableTransport } from "../transport/closable-transport.js";
import { createCallInterceptors, createInterceptorStack, typedErrorOptions } from "../transport/create-interceptor-stack.js";
import { createFetchFailureInterceptor } from "../transport/fetch-failure-interceptor.js";
import type { RpcTransport } from "../transport/rpc-transport.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { createTypedErrorTransport } from "../transport/typed-error-transport.js";
import { validateTransportOptions } from "../transport/validate-transport-options.js";
import { createFetchTransport } from "./create-fetch-transport.js";

/**
 * `createTransport` for browsers with everything an app may not need: the
 * Connect protocol (`protocol: "connect"`, connect-web's transport with our
 * interceptor stack) and the JSON codec (`useBinaryFormat: false`, on our
 * gRPC-Web transport too), and `logger`. Import it only if you use them: it
 * is what brings connect-web and protobuf-es's JSON code into a bundle.
 */
export function createTransportWithConnect(options: TransportOptions): RpcTransport {
  const protocol = validateTransportOptions(options, { protocols: ["grpc-web", "connect"], defaultProtocol: "grpc-web" });
  if (protocol !== "connect") {
    const codec = options.useBinaryFormat === false ? createJsonCodec(options.jsonRegistry) : binaryCodec;
    return createFetchTransport(options, codec, createCallInterceptors(options));
  }
  const interceptors = createInterceptorStack(options, {
    guard: createBrowserStreamingGuard(),
    network: createFetchFailureInterceptor(),
  });
  const connect = createConnectTransport({
    baseUrl: options.baseUrl as string, // validated: one URL in browsers
    interceptors,
    ...(options.useBinaryFormat !== undefined && { useBinaryFormat: options.useBinaryFormat }),
    ...(options.jsonRegistry !== undefined && { jsonOptions: { registry: options.jsonRegistry } }),
    ...(options.useHttpGet !== undefined && { useHttpGet: options.useHttpGet }),
    ...((options.fetch !== undefined || options.credentials !== undefined) && { fetch: withCredentials(options) }),
  });
  const closable = createClosableTransport(connect, () => {});
  const typed = createTypedErrorTransport(closable, typedErrorOptions(options));
  let closed = false;
  return {
    ...typed,
    activeCalls: closable.activeCalls,
    close(closeOptions) {
      closed = true;
      return closable.close(closeOptions);
    },
    [Symbol.asyncDispose]() {
      closed = true;
      return closable.close();
    },
    state: () => (closed ? "closed" : "ready"),
  };
}

/** The fetch to use: the given one (or the global one), with `credentials` when set. */
function withCredentials(options: TransportOptions): typeof globalThis.fetch {
  const { credentials } = options;
  return (input, init) => (options.fetch ?? globalThis.fetch)(input, credentials === undefined ? init : { ...init, credentials });
}
