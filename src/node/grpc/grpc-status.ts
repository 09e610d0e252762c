/**
 * Reading the gRPC status from a response's trailers, or from its headers
 * for a Trailers-Only response (PROTOCOL-HTTP2.md, "Responses"), straight
 * from Node's header object. The success path (`grpc-status: 0`) allocates
 * nothing; everything else builds its ConnectError here, once.
 */
import type * as http2 from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { StatusSchema } from "../../../gen/google/rpc/status_pb.js";

/**
 * The status in `fields`: `undefined` when there is no `grpc-status` (the
 * caller synthesizes one, e.g. from the HTTP status), `null` for OK, else a
 * ConnectError with:
 * - the code of `grpc-status`, or UNKNOWN naming the value when it is not a
 *   valid code (statuscodes.md: "Error parsing returned status" is UNKNOWN);
 * - the percent-decoded `grpc-message`, or its raw text when a %-escape is
 *   broken (PROTOCOL-HTTP2.md: "implementations MUST NOT error or throw away
 *   the message");
 * - the details of `grpc-status-details-bin` (a base64 google.rpc.Status), as
 *   connect-es's gRPC transport stores them, so `findDetails()` works; an
 *   unparsable value is dropped and the code and message are kept;
 * - every non-pseudo field as metadata, `grpc-*` included, as connect-es does.
 */
export function readGrpcStatus(fields: http2.IncomingHttpHeaders): ConnectError | null | undefined {
  const status = fields["grpc-status"];
  if (status === undefined) return undefined;
  if (status === "0") return null;
  const rawMessage = fields["grpc-message"];
  const message = typeof rawMessage === "string" ? decodeGrpcMessage(rawMessage) : undefined;
  const metadata = metadataFromNode(fields);
  const code = parseCode(status);
  if (code === undefined) {
    const bad = String(status);
    return new ConnectError(
      message === undefined || message === ""
        ? `invalid grpc-status "${bad}"`
        : `invalid grpc-status "${bad}" with grpc-message "${message}"`,
      Code.Unknown,
      metadata,
    );
  }
  const details = readStatusDetails(fields["grpc-status-details-bin"]);
  // grpc-status decides the code (it is what every gRPC peer sends); a
  // Status proto that disagrees is believed only for its details, and for the
  // message when grpc-message is absent.
  const error = new ConnectError(message ?? details?.message ?? "", code, metadata);
  if (details !== undefined && details.details.length > 0) error.details = details.details;
  return error;
}

/**
 * The metadata in Node's header object as WHATWG Headers: pseudo-headers
 * (`:status`) dropped, array values appended one by one. For the failure path
 * and for interceptors that read headers; it allocates.
 * A value the Headers class rejects is skipped rather than thrown.
 */
export function metadataFromNode(fields: http2.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const key in fields) {
    if (key.charCodeAt(0) === 0x3a /* ":" */) continue;
    const value = fields[key];
    if (value === undefined) continue;
    if (typeof value === "string") {
      append(headers, key, value);
    } else {
      for (const v of value) append(headers, key, v);
    }
  }
  return headers;
}

function append(headers: Headers, key: string, value: string): void {
  try {
    headers.append(key, value);
  } catch {
    // A name or value Node accepted but WHATWG Headers does not (e.g. a
    // character above U+00FF): losing one field beats losing the status.
  }
}

/**
 * A valid status code: decimal without leading zeros (PROTOCOL-HTTP2.md:
 * "Status → grpc-status 1*DIGIT", "without any leading zeros"), 1 to 16.
 * Parsed by hand: `parseInt` would accept "1.0", "-0" or "5abc".
 */
function parseCode(status: string | string[]): Code | undefined {
  if (typeof status !== "string") return undefined;
  const d0 = status.charCodeAt(0) - 0x30;
  if (status.length === 1) return d0 >= 1 && d0 <= 9 ? (d0 as Code) : undefined;
  if (status.length === 2 && d0 === 1) {
    const d1 = status.charCodeAt(1) - 0x30;
    return d1 >= 0 && d1 <= 6 ? ((10 + d1) as Code) : undefined;
  }
  return undefined;
}

/**
 * Percent-decodes `grpc-message` (PROTOCOL-HTTP2.md, "Status-Message": UTF-8,
 * then RFC 3986 percent-encoding). A broken escape keeps the raw text, which
 * the spec allows ("the user would receive the raw percent-encoded form").
 */
function decodeGrpcMessage(raw: string): string {
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

interface StatusDetails {
  readonly message: string;
  readonly details: { type: string; value: Uint8Array }[];
}

/**
 * Decodes `grpc-status-details-bin`: base64, padded or not (PROTOCOL-HTTP2.md,
 * "Binary-Header"), holding a google.rpc.Status. Details are stored the way
 * connect-es's gRPC transport stores them (type name without the
 * `type.googleapis.com/` prefix, raw bytes), which `findDetails()` decodes.
 * Undefined when absent or unparsable: the details are lost, not the status
 * (issue 13 item 5).
 */
function readStatusDetails(value: string | string[] | undefined): StatusDetails | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  // Node joins repeated fields with ", "; a binary header must be split on
  // "," before decoding (PROTOCOL-HTTP2.md). A Status is single: keep the first.
  const comma = value.indexOf(",");
  const base64 = comma < 0 ? value : value.slice(0, comma);
  try {
    const status = fromBinary(StatusSchema, Buffer.from(base64, "base64"));
    return {
      message: status.message,
      details: status.details.map((any) => ({
        type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1),
        value: any.value,
      })),
    };
  } catch {
    return undefined;
  }
}
