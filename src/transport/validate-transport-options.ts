import { Code, ConnectError } from "@connectrpc/connect";
import type { Protocol, TransportOptions } from "./transport-options.js";

const protocols: readonly Protocol[] = ["grpc", "grpc-web", "connect"];

/** What a runtime's `createTransport` can speak. */
export interface TransportRuntime {
  /** The protocols it implements. */
  readonly protocols: readonly Protocol[];
  /** The protocol used when the options name none. */
  readonly defaultProtocol: Protocol;
  /** Whether `baseUrl` may be a list of URLs or a "dns:///" name. Defaults to false. */
  readonly multipleEndpoints?: boolean;
}

const nodeRuntime: TransportRuntime = { protocols, defaultProtocol: "grpc", multipleEndpoints: true };

/**
 * Checks options once, at construction, so a typo fails where it is made
 * with a message naming the option, instead of on the first call. Returns
 * the protocol to speak: the one asked for, or the runtime's default.
 */
export function validateTransportOptions(options: TransportOptions, runtime: TransportRuntime = nodeRuntime): Protocol {
  const allowed = runtime.protocols;
  if (typeof options !== "object" || options === null) throw invalidOption("options", "must be an object");
  const { baseUrl } = options;
  const several = Array.isArray(baseUrl) || (typeof baseUrl === "string" && baseUrl.startsWith("dns:"));
  if (several && !runtime.multipleEndpoints) {
    throw invalidOption("baseUrl", "must be one http: or https: URL here (lists and dns: names are for Node)");
  }
  if (Array.isArray(baseUrl)) {
    if (baseUrl.length === 0) throw invalidOption("baseUrl", "is an empty list");
    for (const url of baseUrl as unknown[]) checkUrl(url);
  } else if (typeof baseUrl === "string" && baseUrl.startsWith("dns:")) {
    if (!/^dns:(\/\/\/)?[^/]+:\d{1,5}$/.test(baseUrl)) throw invalidOption("baseUrl", `"${baseUrl}" must look like "dns:///host:port"`);
  } else {
    checkUrl(baseUrl);
  }
  if (options.protocol !== undefined && !protocols.includes(options.protocol)) {
    throw invalidOption("protocol", `"${String(options.protocol)}" is not one of ${protocols.join(", ")}`);
  }
  if (options.protocol !== undefined && !allowed.includes(options.protocol)) {
    throw invalidOption("protocol", `"${options.protocol}" is not available here; use ${allowed.join(" or ")}`);
  }
  if (options.httpVersion !== undefined && options.httpVersion !== "1.1" && options.httpVersion !== "2") {
    throw invalidOption("httpVersion", `"${String(options.httpVersion)}" must be "1.1" or "2"`);
  }
  const protocol = options.protocol ?? runtime.defaultProtocol;
  // Checked on the resolved protocol: the default gRPC cannot run over HTTP/1.1 either.
  if (protocol === "grpc" && options.httpVersion === "1.1") {
    throw invalidOption("httpVersion", "gRPC needs HTTP/2; use grpc-web or connect over HTTP/1.1");
  }
  if (several && protocol !== "grpc" && options.httpVersion === "1.1") {
    throw invalidOption("baseUrl", 'several endpoints need HTTP/2; drop httpVersion "1.1"');
  }
  for (const name of [
    "readMaxBytes",
    "writeMaxBytes",
    "keepaliveIntervalMs",
    "keepaliveTimeoutMs",
    "idleTimeoutMs",
    "connectTimeoutMs",
    "maxConnections",
    "dnsRefreshMs",
  ] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      throw invalidOption(name, `must be a positive integer, got ${String(value)}`);
    }
  }
  const window = options.flowControlWindowBytes;
  if (window !== undefined && (!Number.isSafeInteger(window) || window < 65_535 || window > 2 ** 31 - 1)) {
    // RFC 9113 section 6.9.1: a window is at most 2^31 - 1; below the initial 65,535 it would starve the connection.
    throw invalidOption("flowControlWindowBytes", `must be an integer from 65535 to 2147483647, got ${String(window)}`);
  }
  if (options.sendCompression !== undefined && options.sendCompression !== "gzip" && options.sendCompression !== "br") {
    throw invalidOption("sendCompression", `"${String(options.sendCompression)}" must be "gzip" or "br"`);
  }
  if (options.useBinaryFormat === false && protocol === "grpc") {
    throw invalidOption("useBinaryFormat", "gRPC here speaks the binary format only");
  }
  if (options.compressMinBytes !== undefined && (!Number.isSafeInteger(options.compressMinBytes) || options.compressMinBytes < 0)) {
    throw invalidOption("compressMinBytes", `must be an integer >= 0, got ${String(options.compressMinBytes)}`);
  }
  if (options.useHttpGet !== undefined && typeof options.useHttpGet !== "boolean") {
    throw invalidOption("useHttpGet", `must be a boolean, got ${String(options.useHttpGet)}`);
  }
  if (options.useHttpGet === true && protocol !== "connect") {
    throw invalidOption("useHttpGet", `only the Connect protocol sends GET requests, not ${protocol}`);
  }
  if (options.telemetry !== undefined && typeof options.telemetry !== "function") {
    throw invalidOption("telemetry", "must be the interceptor createTelemetryInterceptor() returns");
  }
  if (options.logging !== undefined && typeof options.logging !== "function") {
    throw invalidOption("logging", "must be the interceptor createLoggingInterceptor() returns");
  }
  if (options.healthCheck !== undefined && typeof options.healthCheck?.service !== "string") {
    throw invalidOption("healthCheck", 'must be { service: "..." } ("" for the whole server)');
  }
  return protocol;
}

function checkUrl(baseUrl: unknown): void {
  if (typeof baseUrl !== "string" || baseUrl === "") throw invalidOption("baseUrl", "is required");
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalidOption("baseUrl", `"${baseUrl}" is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidOption("baseUrl", `"${baseUrl}" must use http: or https:`);
  }
}

/** The InvalidArgument error for a bad option, worded the same everywhere. */
export function invalidOption(option: string, problem: string): ConnectError {
  return new ConnectError(`invalid option ${option}: ${problem}`, Code.InvalidArgument);
}
