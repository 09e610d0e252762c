/**
 * Reading the gRPC status of a response from its fields, on any runtime:
 * `grpc-status`, `grpc-message` and `grpc-status-details-bin` (PROTOCOL-HTTP2.md,
 * "Responses"), whether they come as HTTP/2 trailers, in the headers of a
 * Trailers-Only response, or in gRPC-Web's trailer frame (PROTOCOL-WEB.md).
 * The success path (`grpc-status: 0`) allocates nothing.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";

/** Reads one field of a response by lower-case name; null or undefined when absent. */
export type FieldReader = (name: string) => string | null | undefined;

/**
 * The status in the fields `get` reads: `undefined` when there is no
 * `grpc-status`, `null` for OK, else a ConnectError with:
 * - the code of `grpc-status`, or UNKNOWN naming the value when it is not a
 *   valid code (statuscodes.md: "Error parsing returned status" is UNKNOWN);
 * - the percent-decoded `grpc-message`, or its raw text when a %-escape is
 *   broken (PROTOCOL-HTTP2.md: "implementations MUST NOT error or throw away
 *   the message");
 * - the details of `grpc-status-details-bin` (a base64 google.rpc.Status), as
 *   connect-es stores them, so `findDetails()` works; an unparsable value is
 *   dropped and the code and message are kept;
 * - `metadata()` as its metadata (built only on failure).
 */
export function readGrpcStatusFields(get: FieldReader, metadata: () => Headers): ConnectError | null | undefined {
  const status = get("grpc-status") ?? undefined;
  if (status === undefined) return undefined;
  if (status === "0") return null;
  const rawMessage = get("grpc-message");
  const message = typeof rawMessage === "string" ? decodeGrpcMessage(rawMessage) : undefined;
  const code = parseCode(status);
  if (code === undefined) {
    return new ConnectError(
      message === undefined || message === ""
        ? `invalid grpc-status "${status}"`
        : `invalid grpc-status "${status}" with grpc-message "${message}"`,
      Code.Unknown,
      metadata(),
    );
  }
  const details = readStatusDetails(get("grpc-status-details-bin") ?? undefined);
  // grpc-status decides the code; a Status proto that disagrees is believed
  // only for its details, and for the message when grpc-message is absent.
  const error = new ConnectError(message ?? details?.message ?? "", code, metadata());
  if (details !== undefined && details.details.length > 0) error.details = details.details;
  return error;
}

/**
 * A valid status code: decimal without leading zeros (PROTOCOL-HTTP2.md:
 * "Status → grpc-status 1*DIGIT", "without any leading zeros"), 1 to 16.
 * Parsed by hand: `parseInt` would accept "1.0", "-0" or "5abc".
 */
function parseCode(status: string): Code | undefined {
  const d0 = status.charCodeAt(0) - 0x30;
  if (status.length === 1) return d0 >= 1 && d0 <= 9 ? (d0 as Code) : undefined;
  if (status.length === 2 && d0 === 1) {
    const d1 = status.charCodeAt(1) - 0x30;
    return d1 >= 0 && d1 <= 6 ? ((10 + d1) as Code) : undefined;
  }
  return undefined;
}

/** Percent-decodes `grpc-message`; a broken escape keeps the raw text, as the spec allows. */
function decodeGrpcMessage(raw: string): string {
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Decodes `grpc-status-details-bin`: base64, padded or not (PROTOCOL-HTTP2.md,
 * "Binary-Header"), holding a google.rpc.Status. A repeated field arrives
 * joined with ", ": a Status is single, so the first value is kept. Undefined
 * when absent or unparsable: the details are lost, not the status.
 */
function readStatusDetails(value: string | undefined): { message: string; details: { type: string; value: Uint8Array }[] } | undefined {
  if (value === undefined || value === "") return undefined;
  const comma = value.indexOf(",");
  try {
    const status = fromBinary(StatusSchema, base64Decode((comma < 0 ? value : value.slice(0, comma)).trim()));
    return {
      message: status.message,
      details: status.details.map((any) => ({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1), value: any.value })),
    };
  } catch {
    return undefined;
  }
}
