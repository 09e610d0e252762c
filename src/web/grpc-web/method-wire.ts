import { create, type DescMessage, type DescMethod, isMessage, type MessageShape } from "@bufbuild/protobuf";
import { defaultTimeoutMs, type ResolvedDeadlineOptions } from "../../interceptors/deadline-interceptor.js";
import type { HeaderFields } from "../../protocol/header-fields.js";
import type { MessageCodec } from "../../protocol/message-codec.js";

/** Everything about a method that is the same on every gRPC-Web call, computed once per transport. */
export interface WebMethodWire {
  readonly method: DescMethod;
  /** "user.v1.UserService/GetUser", for messages. */
  readonly name: string;
  /** The request URL. */
  readonly url: string;
  /** The headers every gRPC-Web request of this method sends. */
  readonly headers: HeaderFields;
  /** The configured default deadline, or undefined for none. */
  readonly defaultTimeoutMs: number | undefined;
  /** The request message from what the caller gave (a message or its init shape). */
  request(input: unknown): MessageShape<DescMessage>;
  serialize(message: MessageShape<DescMessage>): Uint8Array;
  parse(bytes: Uint8Array): MessageShape<DescMessage>;
}

/** The settings of a transport that shape every method's wire form. */
export interface WebMethodWireSettings {
  readonly baseUrl: string;
  readonly userAgent: string;
  readonly deadline: ResolvedDeadlineOptions | undefined;
  readonly codec: MessageCodec;
}

/** A per-transport cache of {@link WebMethodWire}s, keyed by the method descriptor. */
export function createWebMethodWires(settings: WebMethodWireSettings): (method: DescMethod) => WebMethodWire {
  const cache = new WeakMap<DescMethod, WebMethodWire>();
  // A baseUrl with a path ("https://host/api", or "/api" relative to the page) prefixes the method path, as connect-es does.
  const base = settings.baseUrl.replace(/\/+$/, "");
  const { codec } = settings;
  // PROTOCOL-WEB.md: content-type application/grpc-web+proto; x-grpc-web marks
  // the request for proxies; browsers forbid setting user-agent, so x-user-agent.
  const headers: HeaderFields = {
    "content-type": `application/grpc-web+${codec.name}`,
    "x-grpc-web": "1",
    "x-user-agent": settings.userAgent,
  };
  return (method) => {
    let wire = cache.get(method);
    if (wire === undefined) {
      const name = `${method.parent.typeName}/${method.name}`;
      const input = method.input;
      const output = method.output;
      wire = {
        method,
        name,
        url: `${base}/${name}`,
        headers,
        defaultTimeoutMs: settings.deadline === undefined ? undefined : defaultTimeoutMs(settings.deadline, method),
        request: (value) => (isMessage(value, input) ? value : create(input, value as never)),
        serialize: (message) => codec.serialize(input, message),
        parse: (bytes) => codec.parse(output, bytes),
      };
      cache.set(method, wire);
    }
    return wire;
  };
}
