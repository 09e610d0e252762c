import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/** What decoding a response needs of a method, on either runtime's method wire. */
export interface ResponseParser {
  /** "user.v1.UserService/GetUser", for the error message. */
  readonly name: string;
  parse(bytes: Uint8Array): MessageShape<DescMessage>;
}

/**
 * The response message, or an INTERNAL error naming the method when its
 * bytes do not parse (the gRPC spec's code for a message the client cannot
 * decode). Shared by the gRPC transport on Node and gRPC-Web over fetch.
 */
export function parseResponse(wire: ResponseParser, bytes: Uint8Array): MessageShape<DescMessage> {
  try {
    return wire.parse(bytes);
  } catch (e) {
    throw new ConnectError(
      `failed to parse the response of ${wire.name}: ${ConnectError.from(e).rawMessage}`,
      Code.Internal,
      undefined,
      undefined,
      e,
    );
  }
}
