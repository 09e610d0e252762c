import { createConnectTransport } from "@connectrpc/connect-web";
import { createJsonCodec } from "../protocol/json-codec.js";
import { binaryCodec } from "../protocol/message-codec.js";
import { createBrowserStreamingGuard } from "../transport/browser-streaming-guard.js";
import { createClosableTransport } from "../transport/closable-transport.js";
import { createCallInterceptors, createInterceptorStack, typedErrorOptions } from "../transport/create-interceptor-stack.js";
import { createFetchFailureInterceptor } from "../transport/fetch-failure-interceptor.js";
import type { ClientTransport, ConnectivityState } from "../transport/client-transport.js";
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
export function createTransportWithConnect(options: TransportOptions): ClientTransport {
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
  const listeners = new Set<(state: ConnectivityState) => void>();
  const close = (closeOptions?: { graceMs?: number }) => {
    if (!closed) {
      closed = true;
      for (const listener of listeners) listener("closed");
    }
    return closable.close(closeOptions);
  };
  return {
    ...typed,
    activeCalls: closable.activeCalls,
    close,
    [Symbol.asyncDispose]: () => close(),
    state: () => (closed ? "closed" : "ready"),
    // fetch owns the connections: no endpoints of our own, nothing to connect ahead.
    endpoints: () => [],
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connect: () => Promise.resolve(),
  };
}

/** The fetch to use: the given one (or the global one), with `credentials` when set. */
function withCredentials(options: TransportOptions): typeof globalThis.fetch {
  const { credentials } = options;
  return (input, init) => (options.fetch ?? globalThis.fetch)(input, credentials === undefined ? init : { ...init, credentials });
}
