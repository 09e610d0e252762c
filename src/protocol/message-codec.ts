import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";

/**
 * How messages go on the wire: its name is the content-type suffix
 * (`application/grpc-web+proto`). The binary codec is the default; the JSON
 * codec (json-codec.ts) is a separate import, so that an app that does not
 * use it does not carry protobuf-es's JSON code.
 */
export interface MessageCodec {
  readonly name: "proto" | "json";
  serialize(schema: DescMessage, message: MessageShape<DescMessage>): Uint8Array;
  parse(schema: DescMessage, bytes: Uint8Array): MessageShape<DescMessage>;
}

/** Binary protobuf. */
export const binaryCodec: MessageCodec = {
  name: "proto",
  serialize: (schema, message) => toBinary(schema, message),
  parse: (schema, bytes) => fromBinary(schema, bytes),
};
