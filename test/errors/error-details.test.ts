import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { readErrorInfo, readFieldViolations, readRetryDelayMs } from "../../src/errors/index.js";

function errorWith(details: ConnectError["details"]): ConnectError {
  const err = new ConnectError("invalid argument", Code.InvalidArgument);
  err.details = details;
  return err;
}

describe("readFieldViolations", () => {
  it("lists the violations of every BadRequest detail, with reason only when sent", () => {
    const err = errorWith([
      {
        desc: BadRequestSchema,
        value: {
          fieldViolations: [
            { field: "email", description: "must be an email address", reason: "INVALID_EMAIL" },
            { field: "age", description: "must be positive" },
          ],
        },
      },
      { desc: BadRequestSchema, value: { fieldViolations: [{ field: "name", description: "required" }] } },
    ]);
    expect(readFieldViolations(err)).toEqual([
      { field: "email", description: "must be an email address", reason: "INVALID_EMAIL" },
      { field: "age", description: "must be positive" },
      { field: "name", description: "required" },
    ]);
  });

  it("decodes details as received from the wire", () => {
    const badRequest = create(BadRequestSchema, { fieldViolations: [{ field: "email", description: "taken" }] });
    const err = errorWith([{ type: BadRequestSchema.typeName, value: toBinary(BadRequestSchema, badRequest) }]);
    expect(readFieldViolations(err)).toEqual([{ field: "email", description: "taken" }]);
  });

  it("is empty without a BadRequest detail", () => {
    expect(readFieldViolations(errorWith([]))).toEqual([]);
    expect(readFieldViolations(errorWith([{ desc: RetryInfoSchema, value: {} }]))).toEqual([]);
  });

  it("skips malformed details and keeps the good ones", () => {
    const good = { desc: BadRequestSchema, value: { fieldViolations: [{ field: "email", description: "taken" }] } };
    const err = errorWith([
      { type: BadRequestSchema.typeName, value: new Uint8Array([0xff, 0xff, 0xff]) },
      { desc: BadRequestSchema, value: null as never },
      { desc: BadRequestSchema, value: { fieldViolations: 5 as never } },
      { desc: BadRequestSchema, value: { fieldViolations: [null as never] } },
      { desc: BadRequestSchema, value: { fieldViolations: [{ field: 5 as never }] } },
      null as never,
      good,
    ]);
    expect(readFieldViolations(err)).toEqual([{ field: "email", description: "taken" }]);
  });
});

describe("readRetryDelayMs", () => {
  it("converts retry_delay to milliseconds", () => {
    const err = errorWith([{ desc: RetryInfoSchema, value: { retryDelay: { seconds: 1n, nanos: 500_000_000 } } }]);
    expect(readRetryDelayMs(err)).toBe(1500);
  });

  it("takes the first RetryInfo that carries a valid delay", () => {
    const err = errorWith([
      { desc: RetryInfoSchema, value: {} },
      { desc: RetryInfoSchema, value: { retryDelay: { seconds: -1n } } },
      { desc: RetryInfoSchema, value: { retryDelay: { seconds: 3n } } },
      { desc: RetryInfoSchema, value: { retryDelay: { seconds: 9n } } },
    ]);
    expect(readRetryDelayMs(err)).toBe(3000);
  });

  it("is undefined without RetryInfo", () => {
    expect(readRetryDelayMs(errorWith([]))).toBeUndefined();
    expect(readRetryDelayMs(errorWith([{ desc: RetryInfoSchema, value: {} }]))).toBeUndefined();
  });
});

describe("readErrorInfo", () => {
  it("decodes reason, domain and metadata", () => {
    const err = errorWith([
      {
        desc: ErrorInfoSchema,
        value: { reason: "QUOTA_EXCEEDED", domain: "users.example.com", metadata: { userId: "u-42" } },
      },
    ]);
    expect(readErrorInfo(err)).toEqual({
      reason: "QUOTA_EXCEEDED",
      domain: "users.example.com",
      metadata: { userId: "u-42" },
    });
  });

  it("skips an ErrorInfo with non-string metadata", () => {
    const err = errorWith([
      { desc: ErrorInfoSchema, value: { reason: "A", domain: "d", metadata: { n: 1 as never } } },
      { desc: ErrorInfoSchema, value: { reason: "B", domain: "d" } },
    ]);
    expect(readErrorInfo(err)).toEqual({ reason: "B", domain: "d", metadata: {} });
  });

  it("is undefined without ErrorInfo", () => {
    expect(readErrorInfo(errorWith([]))).toBeUndefined();
  });
});
