import type * as http2 from "node:http2";
import {
  create,
  type DescMessage,
  type DescMethod,
  fromBinary,
  fromJsonString,
  isMessage,
  type MessageShape,
  type Registry,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { defaultTimeoutMs, type ResolvedDeadlineOptions } from "../../interceptors/deadline-interceptor.js";
import { grpcAcceptEncoding, type SendEncoding } from "./message-compression.js";

/** Everything about a method that is the same on every call, computed once per transport. */
export interface MethodWire {
  readonly method: DescMethod;
  /** "user.v1.UserService/GetUser", for messages. */
  readonly name: string;
  /** The request URL, for interceptors. */
  readonly url: string;
  /** `:method`, `:path` and the headers every gRPC request of this method sends. */
  readonly headers: http2.OutgoingHttpHeaders;
  /** The configured default deadline, or undefined for none. */
  readonly defaultTimeoutMs: number | undefined;
  /** The request message from what the caller gave (a message or its init shape). */
  request(input: unknown): MessageShape<DescMessage>;
  serialize(message: MessageShape<DescMessage>): Uint8Array;
  parse(bytes: Uint8Array): MessageShape<DescMessage>;
}

/** The settings of a transport that shape every method's wire form. */
export interface MethodWireSettings {
  readonly baseUrl: string;
  readonly userAgent: string;
  readonly sendEncoding: SendEncoding | undefined;
  readonly deadline: ResolvedDeadlineOptions | undefined;
  /** The JSON codec (`application/grpc+json`) instead of binary protobuf, with the registry for Any. */
  readonly json: { readonly registry: Registry | undefined } | undefined;
}

/** A per-transport cache of {@link MethodWire}s, keyed by the method descriptor. */
export function createMethodWires(settings: MethodWireSettings): (method: DescMethod) => MethodWire {
  const cache = new WeakMap<DescMethod, MethodWire>();
  const base = settings.baseUrl.replace(/\/+$/, "");
  return (method) => {
    let wire = cache.get(method);
    if (wire === undefined) {
      wire = methodWire(method, base, settings);
      cache.set(method, wire);
    }
    return wire;
  };
}

function methodWire(method: DescMethod, baseUrl: string, settings: MethodWireSettings): MethodWire {
  const name = `${method.parent.typeName}/${method.name}`;
  // A baseUrl with a path ("https://host/api") prefixes the gRPC path, as connect-es does.
  const prefix = new URL(baseUrl).pathname.replace(/\/+$/, "");
  const headers: http2.OutgoingHttpHeaders = {
    ":method": "POST",
    ":path": `${prefix}/${name}`,
    "content-type": settings.json === undefined ? "application/grpc+proto" : "application/grpc+json",
    te: "trailers",
    "user-agent": settings.userAgent,
    "grpc-accept-encoding": grpcAcceptEncoding,
  };
  if (settings.sendEncoding !== undefined) headers["grpc-encoding"] = settings.sendEncoding;
  const input = method.input;
  const output = method.output;
  return {
    method,
    name,
    url: `${baseUrl}/${name}`,
    headers,
    defaultTimeoutMs: settings.deadline === undefined ? undefined : defaultTimeoutMs(settings.deadline, method),
    request: (value) => (isMessage(value, input) ? value : create(input, value as never)),
    ...(settings.json === undefined ? binaryCodec(input, output) : jsonCodec(input, output, settings.json.registry)),
  };
}

function binaryCodec(input: DescMessage, output: DescMessage): Pick<MethodWire, "serialize" | "parse"> {
  return {
    serialize: (message) => toBinary(input, message),
    parse: (bytes) => fromBinary(output, bytes),
  };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function jsonCodec(input: DescMessage, output: DescMessage, registry: Registry | undefined): Pick<MethodWire, "serialize" | "parse"> {
  const options = registry === undefined ? {} : { registry };
  return {
    serialize: (message) => utf8.encode(toJsonString(input, message, options)),
    parse: (bytes) => fromJsonString(output, fromUtf8.decode(bytes), options),
  };
}
