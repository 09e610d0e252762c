import { createRegistry } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { Codec, Compression, HTTPVersion, Protocol } from "../../gen/connectrpc/conformance/v1/config_pb.js";
import type { ClientCompatRequest } from "../../gen/connectrpc/conformance/v1/client_compat_pb.js";
import { file_connectrpc_conformance_v1_service } from "../../gen/connectrpc/conformance/v1/service_pb.js";
import type { Logger } from "../../src/interceptors/logging-interceptor.js";
import { createTransport as createNodeTransport } from "../../src/node/create-transport.js";
import type { TransportOptions } from "../../src/transport/transport-options.js";
import { createTransportWithConnect as createWebTransport } from "../../src/web/create-transport-with-connect.js";

/** Which of our `createTransport` functions a run tests. */
export type ConformanceRuntime = "node" | "web";

/**
 * The reference server echoes every request back inside
 * `google.protobuf.Any` fields, which the JSON format can only read when it
 * knows the types.
 */
const jsonRegistry = createRegistry(file_connectrpc_conformance_v1_service);

/**
 * Drops every line, so that the logging interceptor runs at its most
 * thorough level (headers and bodies as JSON) without writing anywhere: stdout
 * belongs to the runner's protocol.
 */
const discardLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Thrown for a test case this client cannot even attempt (HTTP/3, an unknown
 * compression, ...); the runner reports it as a client error, distinct from
 * an RPC that failed.
 */
export class UnsupportedCaseError extends Error {
  override name = "UnsupportedCaseError";
}

/**
 * The options our `createTransport` gets for a test case: the case's wire
 * settings plus the whole product stack (retries, deadlines, logging,
 * correlation; auth has no token here, as an anonymous client).
 *
 * Default deadlines are off: they are a deliberate change to what goes on the
 * wire (every call would carry a timeout header), and the runner checks that
 * a call without `timeout_ms` arrives without one. The deadline interceptor
 * still runs and re-writes the caller's own timeout. Retries keep their
 * defaults: the reference server reports a second request for one test case
 * as a failure, so the suite also shows that nothing is retried that must not be.
 */
export function conformanceTransportOptions(req: ClientCompatRequest, runtime: ConformanceRuntime): TransportOptions {
  if (req.rawRequest !== undefined) {
    throw new UnsupportedCaseError("raw_request is for the reference client only");
  }
  const tls = req.serverTlsCert.byteLength > 0;
  const options: TransportOptions = {
    baseUrl: `${tls ? "https" : "http"}://${hostForUrl(req.host)}:${req.port}`,
    protocol: protocolOf(req.protocol),
    httpVersion: httpVersionOf(req.httpVersion),
    useBinaryFormat: binaryFormatOf(req.codec),
    jsonRegistry,
    logger: discardLogger,
    logLevel: "debug",
    timeouts: { noSideEffectsUnaryTimeoutMs: null, unaryTimeoutMs: null, clientStreamingTimeoutMs: null },
  };
  if (req.useGetHttpMethod) options.useHttpGet = true;
  if (req.messageReceiveLimit > 0) options.readMaxBytes = req.messageReceiveLimit;
  const compression = compressionOf(req.compression);
  if (compression !== undefined) {
    if (runtime === "web") throw new UnsupportedCaseError("the web transport does not compress requests");
    options.sendCompression = compression;
    // The runner checks that every request is compressed, empty ones too.
    options.compressMinBytes = 0;
  }
  if (tls) {
    if (runtime === "web") {
      // fetch takes no CA option: the runner's certificate reaches it through
      // NODE_EXTRA_CA_CERTS instead (see run-conformance.ts).
      if (req.clientTlsCreds !== undefined) {
        throw new UnsupportedCaseError("fetch cannot send a client certificate");
      }
    } else {
      options.ca = Buffer.from(req.serverTlsCert);
      if (req.clientTlsCreds !== undefined) {
        options.cert = Buffer.from(req.clientTlsCreds.cert);
        options.key = Buffer.from(req.clientTlsCreds.key);
      }
    }
  }
  return options;
}

/**
 * Returns a transport for a test case, made by our own `createTransport`.
 * Test cases that share every wire setting share a transport, and with it
 * its connections, as an application would.
 */
export function createConformanceTransportCache(runtime: ConformanceRuntime): ConformanceTransportCache {
  const create: (options: TransportOptions) => Transport = runtime === "node" ? createNodeTransport : createWebTransport;
  const transports = new Map<string, Transport>();
  const transportFor = (req: ClientCompatRequest): Transport => {
    const options = conformanceTransportOptions(req, runtime);
    const key = JSON.stringify([
      options.baseUrl,
      options.protocol,
      options.httpVersion,
      options.useBinaryFormat,
      options.useHttpGet,
      options.readMaxBytes,
      options.sendCompression,
      Buffer.from(req.serverTlsCert).toString("base64"),
      req.clientTlsCreds === undefined ? undefined : Buffer.from(req.clientTlsCreds.cert).toString("base64"),
    ]);
    let transport = transports.get(key);
    if (transport === undefined) {
      transport = create(options);
      transports.set(key, transport);
    }
    return transport;
  };
  const close = async () => {
    await Promise.all([...transports.values()].map((t) => ("close" in t && typeof t.close === "function" ? t.close() : undefined)));
  };
  return { transportFor, close };
}

/** The transports of a run, shared by test cases with the same wire settings. */
export interface ConformanceTransportCache {
  /** The transport for a test case, made on first use. */
  transportFor(req: ClientCompatRequest): Transport;
  /** Closes every transport that can be closed (the Node ones: their connections). */
  close(): Promise<void>;
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function protocolOf(protocol: Protocol): NonNullable<TransportOptions["protocol"]> {
  switch (protocol) {
    case Protocol.CONNECT:
      return "connect";
    case Protocol.GRPC:
      return "grpc";
    case Protocol.GRPC_WEB:
      return "grpc-web";
    default:
      throw new UnsupportedCaseError(`unsupported protocol ${Protocol[protocol] ?? protocol}`);
  }
}

function httpVersionOf(version: HTTPVersion): "1.1" | "2" {
  switch (version) {
    case HTTPVersion.HTTP_VERSION_1:
      return "1.1";
    case HTTPVersion.HTTP_VERSION_2:
      return "2";
    default:
      throw new UnsupportedCaseError(`unsupported HTTP version ${HTTPVersion[version] ?? version}`);
  }
}

function binaryFormatOf(codec: Codec): boolean {
  switch (codec) {
    case Codec.PROTO:
      return true;
    case Codec.JSON:
      return false;
    default:
      throw new UnsupportedCaseError(`unsupported codec ${Codec[codec] ?? codec}`);
  }
}

function compressionOf(compression: Compression): "gzip" | "br" | undefined {
  switch (compression) {
    case Compression.UNSPECIFIED:
    case Compression.IDENTITY:
      return undefined;
    case Compression.GZIP:
      return "gzip";
    case Compression.BR:
      return "br";
    default:
      throw new UnsupportedCaseError(`unsupported compression ${Compression[compression] ?? compression}`);
  }
}
