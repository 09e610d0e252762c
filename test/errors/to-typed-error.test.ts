import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  CanceledError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
  UnknownError,
  toTypedError,
} from "../../src/errors/index.js";

describe("toTypedError", () => {
  it("converts a ConnectError keeping message, metadata, details and cause", () => {
    const cause = new Error("validation failed");
    const details = [{ desc: BadRequestSchema, value: { fieldViolations: [{ field: "email", description: "taken" }] } }];
    const err = new ConnectError("invalid email", Code.InvalidArgument, { "x-request-id": "r-1" }, details, cause);
    const typed = toTypedError(err);
    expect(typed).toBeInstanceOf(InvalidArgumentError);
    expect(typed.code).toBe(Code.InvalidArgument);
    expect(typed.rawMessage).toBe("invalid email");
    expect(typed.message).toBe(err.message);
    expect(typed.metadata.get("x-request-id")).toBe("r-1");
    expect(typed.details).toEqual(err.details);
    expect(typed.cause).toBe(cause);
    expect(typed.fieldViolations).toEqual([{ field: "email", description: "taken" }]);
  });

  it("returns a typed error of the right class as is", () => {
    const typed = new NotFoundError("user u-42 not found");
    expect(toTypedError(typed)).toBe(typed);
    expect(toTypedError(toTypedError(new ConnectError("x", Code.Unavailable)))).toBeInstanceOf(UnavailableError);
  });

  it("rebuilds a typed error whose retryable flag disagrees with retryableCodes", () => {
    const cause = new Error("socket closed");
    const typed = new UnavailableError("user service unavailable", { cause });
    const rebuilt = toTypedError(typed, { retryableCodes: [] });
    expect(rebuilt).not.toBe(typed);
    expect(rebuilt).toBeInstanceOf(UnavailableError);
    expect(rebuilt.retryable).toBe(false);
    expect(rebuilt.cause).toBe(cause);
  });

  it("marks errors retryable per the given retryableCodes", () => {
    const err = new ConnectError("user u-42 not found", Code.NotFound);
    expect(toTypedError(err).retryable).toBe(false);
    expect(toTypedError(err, { retryableCodes: [Code.NotFound] }).retryable).toBe(true);
  });

  it("converts a plain Error into UnknownError with the error as cause", () => {
    const cause = new TypeError("fetch failed");
    const typed = toTypedError(cause);
    expect(typed).toBeInstanceOf(UnknownError);
    expect(typed.rawMessage).toBe("fetch failed");
    expect(typed.cause).toBe(cause);
  });

  it("converts an AbortError into CanceledError with the abort as cause", () => {
    const abort = new DOMException("This operation was aborted", "AbortError");
    const typed = toTypedError(abort);
    expect(typed).toBeInstanceOf(CanceledError);
    expect(typed.rawMessage).toBe("This operation was aborted");
    expect(typed.cause).toBe(abort);
  });

  it("converts strings, undefined and other values into UnknownError", () => {
    expect(toTypedError("boom")).toMatchObject({ code: Code.Unknown, rawMessage: "boom", cause: "boom" });
    const fromUndefined = toTypedError(undefined);
    expect(fromUndefined).toBeInstanceOf(UnknownError);
    expect(fromUndefined.rawMessage).toBe("undefined");
    expect(toTypedError(42)).toBeInstanceOf(UnknownError);
  });

  it("converts a ConnectError from another copy of @connectrpc/connect", () => {
    // What connect-es itself accepts as a ConnectError from another copy.
    const lookAlike = Object.assign(new Error("[not_found] user u-42 not found"), {
      name: "ConnectError",
      code: Code.NotFound,
      metadata: new Headers({ "x-request-id": "r-1" }),
      details: [],
      rawMessage: "user u-42 not found",
      cause: undefined,
    });
    const typed = toTypedError(lookAlike);
    expect(typed).toBeInstanceOf(NotFoundError);
    expect(typed.rawMessage).toBe("user u-42 not found");
    expect(typed.metadata.get("x-request-id")).toBe("r-1");
  });

  it("rejects retryableCodes that are not Connect codes, naming the option", () => {
    expect(() => toTypedError("boom", { retryableCodes: [99 as Code] })).toThrow("invalid retryableCodes: 99 is not a Connect code");
    expect(() => toTypedError("boom", { retryableCodes: "unavailable" as never })).toThrow(
      "invalid retryableCodes: expected an array of codes",
    );
  });
});
