/// <reference lib="esnext.disposable" preserve="true" />
/**
 * The browser entry of "userctl-rpc" (package.json "browser" and "default"
 * conditions): the generic client for any service, gRPC-Web over fetch by
 * default, Connect on request; no Node built-ins. The UserService client is
 * "userctl-rpc/users".
 */
import type { ClientTransport } from "../transport/client-transport.js";
import { createClosableTransport } from "../transport/closable-transport.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { createTransport as createFetchTransport } from "./create-transport.js";

/**
 * Creates a Transport for browsers: gRPC-Web over fetch by default, Connect
 * on request (see ./create-transport.ts). It has the same type as the Node
 * transport, so code type-checked with bundler resolution sees one API:
 * close() and activeCalls() track the calls in flight; a browser has no
 * endpoints of its own, so state() is "ready" until close().
 */
export function createTransport(options: TransportOptions): ClientTransport {
  const transport = createFetchTransport(options);
  const closable = createClosableTransport(transport, () => {});
  let closed = false;
  const listeners = new Set<(state: "ready" | "closed") => void>();
  const close: ClientTransport["close"] = (closeOptions) => {
    if (!closed) {
      closed = true;
      for (const listener of listeners) listener("closed");
    }
    return closable.close(closeOptions);
  };
  return {
    unary: closable.unary,
    stream: closable.stream,
    close,
    activeCalls: closable.activeCalls,
    [Symbol.asyncDispose]: () => close(),
    state: () => (closed ? "closed" : "ready"),
    endpoints: () => [],
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connect: () => Promise.resolve(),
  };
}

/** The browser transport: the same type as on Node (see ClientTransport). */
export type NodeTransport = ClientTransport;
export * from "../public-api.js";
