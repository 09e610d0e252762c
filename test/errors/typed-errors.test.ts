import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  AbortedError,
  CanceledError,
  DEFAULT_RETRYABLE_CODES,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  TypedConnectError,
  UnavailableError,
  UnknownError,
  errorClassForCode,
} from "../../src/errors/index.js";

type TypedErrorsModule = typeof import("../../src/errors/typed-errors.js");

// A query string makes Vite load a second, separate instance of the module:
// what an app gets when two copies of this package end up in its bundle.
async function importSecondCopy(): Promise<TypedErrorsModule> {
  const url = "../../src/errors/typed-errors.ts?copy=2";
  return (await import(/* @vite-ignore */ url)) as TypedErrorsModule;
}

const allCodes = Object.values(Code).filter((v): v is Code => typeof v === "number");

describe("typed error classes", () => {
  it("cover all 16 codes, each class with its own code", () => {
    expect(allCodes).toHaveLength(16);
    for (const code of allCodes) {
      const errorClass = errorClassForCode(code);
      const err = new errorClass("user u-42 not found");
      expect(err.code).toBe(code);
      expect(errorClass.name).toBe(`${Code[code]}Error`);
      expect(err.constructor.name).toBe(`${Code[code]}Error`);
      expect(err).toBeInstanceOf(errorClass);
      expect(err).toBeInstanceOf(TypedConnectError);
      expect(err).toBeInstanceOf(ConnectError);
      expect(err).toBeInstanceOf(Error);
    }
  });

  it("match only the class of their own code", () => {
    const err = new NotFoundError("user u-42 not found");
    expect(err instanceof NotFoundError).toBe(true);
    expect(err instanceof InvalidArgumentError).toBe(false);
    expect(err instanceof UnknownError).toBe(false);
  });

  it("keep the message format and name of ConnectError", () => {
    const err = new NotFoundError("user u-42 not found");
    expect(err.message).toBe("[not_found] user u-42 not found");
    expect(err.rawMessage).toBe("user u-42 not found");
    // connect-es recognises ConnectErrors by this name; see typed-errors.ts.
    expect(err.name).toBe("ConnectError");
  });

  it("survive ConnectError.from(), which connect-es applies to every error a call throws", () => {
    const err = new NotFoundError("user u-42 not found");
    expect(ConnectError.from(err)).toBe(err);
  });

  it("do not claim plain ConnectErrors, which lack the decoded details", () => {
    const plain = new ConnectError("user u-42 not found", Code.NotFound);
    expect(plain instanceof NotFoundError).toBe(false);
    expect(plain instanceof TypedConnectError).toBe(false);
    expect((null as unknown) instanceof TypedConnectError).toBe(false);
    expect(("boom" as unknown) instanceof NotFoundError).toBe(false);
  });

  it("carry metadata, details and cause from the init object", () => {
    const cause = new Error("socket closed");
    const err = new UnavailableError("user service unavailable", {
      metadata: { "retry-after": "1" },
      details: [{ desc: RetryInfoSchema, value: { retryDelay: { seconds: 2n } } }],
      cause,
    });
    expect(err.metadata.get("retry-after")).toBe("1");
    expect(err.retryDelayMs).toBe(2000);
    expect(err.cause).toBe(cause);
  });

  it("are retryable for the default retryable codes unless told otherwise", () => {
    expect(DEFAULT_RETRYABLE_CODES).toEqual([Code.Unavailable, Code.ResourceExhausted, Code.Aborted]);
    expect(Object.isFrozen(DEFAULT_RETRYABLE_CODES)).toBe(true);
    for (const code of allCodes) {
      const errorClass = errorClassForCode(code);
      expect(new errorClass("x").retryable).toBe(DEFAULT_RETRYABLE_CODES.includes(code));
    }
    expect(new UnavailableError("x", { retryable: false }).retryable).toBe(false);
    expect(new NotFoundError("x", { retryable: true }).retryable).toBe(true);
    expect(new ResourceExhaustedError("x").retryable).toBe(true);
    expect(new AbortedError("x").retryable).toBe(true);
  });

  it("map a code outside the enum to UnknownError", () => {
    expect(errorClassForCode(99 as Code)).toBe(UnknownError);
  });

  it("let a user's subclass use instanceof by prototype", () => {
    class UserNotFoundError extends NotFoundError {}
    const sub = new UserNotFoundError("user u-42 not found");
    expect(sub).toBeInstanceOf(UserNotFoundError);
    expect(sub).toBeInstanceOf(NotFoundError);
    expect(new NotFoundError("x") instanceof UserNotFoundError).toBe(false);
  });
});

describe("two copies of the module", () => {
  it("are really two copies", async () => {
    const copy = await importSecondCopy();
    expect(copy.NotFoundError).not.toBe(NotFoundError);
  });

  it("recognise each other's errors with instanceof", async () => {
    const copy = await importSecondCopy();
    const foreign = new copy.NotFoundError("user u-42 not found");
    expect(foreign instanceof NotFoundError).toBe(true);
    expect(foreign instanceof TypedConnectError).toBe(true);
    expect(foreign instanceof ConnectError).toBe(true);
    expect(foreign instanceof InvalidArgumentError).toBe(false);
    expect(new NotFoundError("x") instanceof copy.NotFoundError).toBe(true);
    expect(new CanceledError("x") instanceof copy.NotFoundError).toBe(false);
  });
});
