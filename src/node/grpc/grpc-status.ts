/**
 * Reading the gRPC status from a response's trailers, or from its headers
 * for a Trailers-Only response (PROTOCOL-HTTP2.md, "Responses"), straight
 * from Node's header object. The success path (`grpc-status: 0`) allocates
 * nothing; everything else builds its ConnectError here, once.
 */
import type * as http2 from "node:http2";
import type { ConnectError } from "@connectrpc/connect";
import { readGrpcStatusFields } from "../../protocol/read-grpc-status.js";

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
  // The success path checked first, so that it builds no closure.
  const status = fields["grpc-status"];
  if (status === "0") return null;
  if (status === undefined) return undefined;
  // A repeated field arrives as an array (set-cookie style) or joined with
  // ", "; either way it reads as one joined value, which for grpc-status is
  // never a valid code.
  return readGrpcStatusFields(
    (name) => {
      const value = fields[name];
      return Array.isArray(value) ? value.join(", ") : value;
    },
    () => metadataFromNode(fields),
  );
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
