/**
 * Decoding the google.rpc rich error details a server attaches to an error
 * (https://cloud.google.com/apis/design/errors#error_details) into plain
 * values. Every reader skips a detail it cannot decode instead of throwing:
 * it runs inside a `catch` block, where a second error would hide the first.
 */
import { ConnectError } from "@connectrpc/connect";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  type BadRequest_FieldViolation,
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "../../gen/google/rpc/error_details_pb.js";

/** One invalid field of a request, from google.rpc.BadRequest. */
export interface FieldViolation {
  /** Path to the field, e.g. `"user.email"`. */
  readonly field: string;
  /** Why the value is invalid, for humans. */
  readonly description: string;
  /** Machine-readable reason, e.g. `"INVALID_EMAIL"`; absent when the server sent none. */
  readonly reason?: string;
}

/** Why an error happened, in machine-readable form, from google.rpc.ErrorInfo. */
export interface ErrorInfoDetail {
  /** UPPER_SNAKE_CASE reason, unique within `domain`, e.g. `"QUOTA_EXCEEDED"`. */
  readonly reason: string;
  /** The service or system that generated the error, e.g. `"users.example.com"`. */
  readonly domain: string;
  /** Extra context, e.g. `{ userId: "u-42" }`. */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * The field violations of every google.rpc.BadRequest detail of `err`, in
 * order. Empty when there are none.
 */
export function readFieldViolations(err: ConnectError): readonly FieldViolation[] {
  const lists = decodeDetails(err, BadRequestSchema, (badRequest) => {
    const violations = badRequest.fieldViolations.map(toFieldViolation);
    return violations.every((v) => v !== undefined) ? violations : undefined;
  });
  return Object.freeze(lists.flat());
}

/**
 * How long the server asks the client to wait before retrying, in
 * milliseconds, from the first google.rpc.RetryInfo detail that carries a
 * non-negative `retry_delay`. Undefined when there is none.
 */
export function readRetryDelayMs(err: ConnectError): number | undefined {
  const delays = decodeDetails(err, RetryInfoSchema, (info) => {
    if (info.retryDelay === undefined) return undefined;
    const { seconds, nanos } = info.retryDelay;
    const ms = Number(seconds) * 1000 + nanos / 1_000_000;
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  });
  return delays[0];
}

/** The first google.rpc.ErrorInfo detail of `err`, or undefined when there is none. */
export function readErrorInfo(err: ConnectError): ErrorInfoDetail | undefined {
  const infos = decodeDetails(err, ErrorInfoSchema, (info) => {
    if (typeof info.reason !== "string" || typeof info.domain !== "string") return undefined;
    const metadata = Object.fromEntries(Object.entries(info.metadata));
    if (!Object.values(metadata).every((value) => typeof value === "string")) return undefined;
    return Object.freeze({ reason: info.reason, domain: info.domain, metadata: Object.freeze(metadata) });
  });
  return infos[0];
}

function toFieldViolation(v: BadRequest_FieldViolation): FieldViolation | undefined {
  if (typeof v.field !== "string" || typeof v.description !== "string") return undefined;
  return typeof v.reason === "string" && v.reason !== ""
    ? Object.freeze({ field: v.field, description: v.description, reason: v.reason })
    : Object.freeze({ field: v.field, description: v.description });
}

/**
 * Finds the details of type `schema`, like `err.findDetails(schema)`, and
 * decodes each one, skipping those that are malformed: `decode` returns
 * undefined or throws. Works one detail at a time because findDetails() skips
 * an incoming detail that does not parse but throws on an outgoing one that
 * create() rejects (e.g. `value: null`); and create() does not check types,
 * so a decoded message can still hold a number where a string belongs.
 */
function decodeDetails<Desc extends DescMessage, T>(
  err: ConnectError,
  schema: Desc,
  decode: (detail: MessageShape<Desc>) => T | undefined,
): T[] {
  const decoded: T[] = [];
  const single = new ConnectError("");
  for (const detail of err.details) {
    single.details = [detail];
    try {
      for (const message of single.findDetails(schema)) {
        const value = decode(message);
        if (value !== undefined) decoded.push(value);
      }
    } catch {
      // Malformed: skip it, see above.
    }
  }
  return decoded;
}
