import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";

/** One invalid field of a request, as google.rpc.BadRequest reports it. */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * An INVALID_ARGUMENT error whose message names every violation and whose
 * google.rpc.BadRequest detail lists them, so clients can show each next to
 * its field.
 */
export function badRequest(violations: FieldViolation[]): ConnectError {
  const message = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new ConnectError(`invalid argument: ${message}`, Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: violations } },
  ]);
}
