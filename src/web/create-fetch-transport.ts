import type { Interceptor } from "@connectrpc/connect";
import { resolveCallPolicy } from "../call/call-policy.js";
import type { MessageCodec } from "../protocol/message-codec.js";
import { DEFAULT_CLOSE_GRACE_MS } from "../transport/closable-transport.js";
import type { ClientTransport, ConnectivityState } from "../transport/client-transport.js";
import { streamsCancelOnReturn } from "../transport/streams-cancel-on-return.js";
import { DEFAULT_READ_MAX_BYTES, type TransportOptions } from "../transport/transport-options.js";
import { createGrpcWebTransport } from "./grpc-web/grpc-web-transport.js";

// Sent as x-user-agent (browsers do not let a page set user-agent).
const userAgent = "userctl-rpc/0.1.0";

/**
 * Our gRPC-Web transport over fetch with `codec`, its options already
 * validated: the built-in policies in its call loop, `callInterceptors`
 * (telemetry, logging) around each call, your interceptors around each
 * attempt, and a graceful `close()`.
 */
export function createFetchTransport(
  options: TransportOptions,
  codec: MessageCodec,
  callInterceptors: readonly Interceptor[],
): ClientTransport {
  const grpcWeb = createGrpcWebTransport({
    baseUrl: options.baseUrl as string, // validated: one URL in browsers
    policy: resolveCallPolicy(options),
    callInterceptors,
    attemptInterceptors: options.interceptors ?? [],
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    userAgent,
    codec,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    credentials: options.credentials,
  });
  let closing: Promise<void> | undefined;
  const listeners = new Set<(state: ConnectivityState) => void>();
  const close = (closeOptions: { graceMs?: number } = {}) => {
    if (closing === undefined) {
      closing = grpcWeb.close(closeOptions.graceMs ?? DEFAULT_CLOSE_GRACE_MS);
      for (const listener of listeners) listener("closed");
    }
    return closing;
  };
  const transport: ClientTransport & { [streamsCancelOnReturn]: true } = {
    unary: grpcWeb.unary,
    stream: grpcWeb.stream,
    close,
    activeCalls: grpcWeb.activeCalls,
    // fetch owns the connections: a transport is ready until it is closed.
    state: () => (closing === undefined ? "ready" : "closed"),
    [Symbol.asyncDispose]: () => close(),
    // A browser has no endpoints of its own, and nothing to connect ahead of a call.
    endpoints: () => [],
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connect: () => Promise.resolve(),
    // Leaving a stream's for await cancels its body reader and ends the call.
    [streamsCancelOnReturn]: true,
  };
  return transport;
}
