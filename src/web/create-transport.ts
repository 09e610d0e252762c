import { binaryCodec } from "../protocol/message-codec.js";
import type { ClientTransport } from "../transport/client-transport.js";
import type { TransportOptions } from "../transport/transport-options.js";
import { invalidOption, validateTransportOptions } from "../transport/validate-transport-options.js";
import { createFetchTransport } from "./create-fetch-transport.js";

/**
 * Creates a Transport for browsers: binary gRPC-Web over fetch, our own
 * (src/web/grpc-web/), with the same policies as on Node (deadline, retries,
 * auth, correlation, typed errors) in its call loop. Client-streaming and
 * bidi calls fail at once with UNIMPLEMENTED, since fetch cannot stream
 * request bodies. The Connect protocol and the JSON codec are not in here,
 * so an app that does not use them does not carry them: they come with
 * `createTransportWithConnect`, which takes the same options; logging comes
 * as `logging: createLoggingInterceptor({ logger })`, telemetry as
 * `telemetry`. Node-only options (TLS files, keepalive, compression) are ignored.
 */
export function createTransport(options: TransportOptions): ClientTransport {
  const protocol = validateTransportOptions(options, { protocols: ["grpc-web", "connect"], defaultProtocol: "grpc-web" });
  if (protocol === "connect") {
    throw invalidOption(
      "protocol",
      'the browser createTransport speaks binary gRPC-Web only; for "connect" use createTransportWithConnect, which takes the same options',
    );
  }
  if (options.useBinaryFormat === false) {
    throw invalidOption(
      "useBinaryFormat",
      "the browser createTransport speaks binary gRPC-Web only; for JSON use createTransportWithConnect, which takes the same options",
    );
  }
  if (options.logger !== undefined) {
    throw invalidOption(
      "logger",
      "the browser createTransport takes logging: createLoggingInterceptor({ logger }) instead, so that apps without logging do not carry it",
    );
  }
  // Telemetry and logging come as interceptors the app imported: nothing of them is here otherwise.
  const callInterceptors = [options.telemetry, options.logging].filter((i) => i !== undefined);
  return createFetchTransport(options, binaryCodec, callInterceptors);
}
