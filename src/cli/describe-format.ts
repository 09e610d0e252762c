import {
  type DescEnum,
  type DescExtension,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  type JsonValue,
  ScalarType,
  toJson,
} from "@bufbuild/protobuf";
import {
  DescriptorProtoSchema,
  EnumDescriptorProtoSchema,
  FieldDescriptorProtoSchema,
  MethodDescriptorProtoSchema,
  MethodOptions_IdempotencyLevel,
  ServiceDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

/** Anything `userctl describe` can show. */
export type Describable = DescService | DescMethod | DescMessage | DescEnum | DescExtension;

/**
 * A symbol in protobuf-like text: the first line says what it is and where
 * it is declared, then its members, one per line. Methods show their
 * streaming shape and idempotency level, which decide how userctl calls and
 * retries them.
 */
export function describeText(desc: Describable): string[] {
  switch (desc.kind) {
    case "service":
      return [`service ${desc.typeName} (${fileOf(desc)})`, ...desc.methods.map((m) => `  ${rpcLine(m)}`)];
    case "rpc":
      return [`method ${desc.parent.typeName}.${desc.name} (${fileOf(desc.parent)})`, `  ${rpcLine(desc)}`];
    case "message":
      return [`message ${desc.typeName} (${fileOf(desc)})`, ...desc.fields.map((f) => `  ${fieldLine(f)}`)];
    case "enum":
      return [`enum ${desc.typeName} (${fileOf(desc)})`, ...desc.values.map((v) => `  ${v.name} = ${v.number};`)];
    case "extension":
      return [`extension ${desc.typeName} of ${desc.extendee.typeName} (${fileOf(desc)})`, `  ${fieldLine(desc)}`];
  }
}

/** A symbol's descriptor (DescriptorProto, ServiceDescriptorProto, ...) as proto3 JSON, for --json. */
export function describeJson(desc: Describable): JsonValue {
  switch (desc.kind) {
    case "service":
      return toJson(ServiceDescriptorProtoSchema, desc.proto);
    case "rpc":
      return toJson(MethodDescriptorProtoSchema, desc.proto);
    case "message":
      return toJson(DescriptorProtoSchema, desc.proto);
    case "enum":
      return toJson(EnumDescriptorProtoSchema, desc.proto);
    case "extension":
      return toJson(FieldDescriptorProtoSchema, desc.proto);
  }
}

/** `rpc FullDuplexCall(stream A) returns (stream B);` plus the idempotency level when set. */
export function rpcLine(m: DescMethod): string {
  const streamsIn = m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming";
  const streamsOut = m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming";
  const level =
    m.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN
      ? ""
      : ` [idempotency: ${MethodOptions_IdempotencyLevel[m.idempotency]}]`;
  return `rpc ${m.name}(${streamsIn ? "stream " : ""}${m.input.typeName}) returns (${streamsOut ? "stream " : ""}${m.output.typeName});${level}`;
}

function fieldLine(f: DescField | DescExtension): string {
  const oneof = f.oneof ? ` (oneof ${f.oneof.name})` : "";
  return `${typeOf(f)} ${f.name} = ${f.number};${oneof}`;
}

function typeOf(f: DescField | DescExtension): string {
  switch (f.fieldKind) {
    case "scalar":
      return scalarName(f.scalar);
    case "enum":
      return f.enum.typeName;
    case "message":
      return f.message.typeName;
    case "list":
      return `repeated ${f.listKind === "scalar" ? scalarName(f.scalar) : f.listKind === "enum" ? f.enum.typeName : f.message.typeName}`;
    case "map": {
      const value = f.mapKind === "scalar" ? scalarName(f.scalar) : f.mapKind === "enum" ? f.enum.typeName : f.message.typeName;
      return `map<${scalarName(f.mapKey)}, ${value}>`;
    }
  }
}

function scalarName(t: ScalarType): string {
  return (ScalarType[t] ?? String(t)).toLowerCase();
}

function fileOf(desc: DescService | DescMessage | DescEnum | DescExtension): string {
  return desc.file.proto.name;
}
