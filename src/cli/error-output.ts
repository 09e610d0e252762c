import { create, createRegistry, type DescMessage, type JsonObject, fromBinary, toJson } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { type Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { readFieldViolations } from "../errors/error-details.js";
import type { Io } from "./command.js";

/**
 * Prints why a call failed and returns the exit status, the error's numeric
 * gRPC code. Human mode: `error: <code>: <message>` and one line per field
 * violation. JSON mode: one line `{"error":{"code","message","details"}}`.
 */
export function printError(reason: unknown, io: Io, json: boolean): number {
  const error = ConnectError.from(reason);
  if (json) {
    io.err(JSON.stringify({ error: errorJson(error) }));
  } else {
    io.err(`error: ${codeToString(error.code)}: ${error.rawMessage}`);
    for (const v of readFieldViolations(error)) io.err(`  ${v.field}: ${v.description}`);
  }
  return error.code;
}

/** An error as JSON: its code name, message, and rich details decoded to proto3 JSON. */
export function errorJson(error: ConnectError): JsonObject {
  const details = error.details.map(detailJson);
  return {
    code: codeToString(error.code),
    message: error.rawMessage,
    ...(details.length > 0 && { details }),
  };
}

// Every google.rpc detail type (BadRequest, RetryInfo, ErrorInfo, ...).
const detailTypes = createRegistry(file_google_rpc_error_details);

/** `{"type":"google.rpc.BadRequest","fieldViolations":[…]}`; an unknown type keeps its bytes in base64. */
function detailJson(detail: ConnectError["details"][number]): JsonObject {
  let schema: DescMessage | undefined;
  try {
    if ("desc" in detail) {
      schema = detail.desc;
      return { type: schema.typeName, ...(toJson(schema, create(schema, detail.value)) as JsonObject) };
    }
    schema = detailTypes.getMessage(detail.type);
    if (schema) return { type: detail.type, ...(toJson(schema, fromBinary(schema, detail.value)) as JsonObject) };
  } catch {
    // Malformed: fall through and show what arrived.
  }
  return "desc" in detail ? { type: detail.desc.typeName } : { type: detail.type, value: base64Encode(detail.value) };
}

/** An item of bulk-create or sync that failed, by input line. */
export interface ItemFailure {
  line: number;
  code: Code;
  message: string;
}

/** Prints `line 3: invalid_argument: …` (JSON mode: `{"line":3,"error":{"code","message"}}`) on stderr. */
export function printItemFailure(io: Io, json: boolean, failure: ItemFailure): void {
  const code = codeToString(failure.code);
  io.err(
    json
      ? JSON.stringify({ line: failure.line, error: { code, message: failure.message } })
      : `line ${failure.line}: ${code}: ${failure.message}`,
  );
}
