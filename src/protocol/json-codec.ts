import { fromJsonString, type Registry, toJsonString } from "@bufbuild/protobuf";
import type { MessageCodec } from "./message-codec.js";

/**
 * The JSON codec (`+json`), with the registry that `google.protobuf.Any`
 * fields need. Imported only by what offers JSON, so the binary-only
 * browser transport does not carry protobuf-es's JSON code.
 */
export function createJsonCodec(registry: Registry | undefined): MessageCodec {
  const options = registry === undefined ? {} : { registry };
  const utf8 = new TextEncoder();
  const fromUtf8 = new TextDecoder();
  return {
    name: "json",
    serialize: (schema, message) => utf8.encode(toJsonString(schema, message, options)),
    parse: (schema, bytes) => fromJsonString(schema, fromUtf8.decode(bytes), options),
  };
}
