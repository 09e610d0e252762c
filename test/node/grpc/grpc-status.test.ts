import type * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../../gen/google/rpc/status_pb.js";
import { readFieldViolations } from "../../../src/errors/error-details.js";
import { metadataFromNode, readGrpcStatus } from "../../../src/node/grpc/grpc-status.js";

function statusBin(code: number, message: string, unpadded = false): string {
  const status = create(StatusSchema, {
    code,
    message,
    details: [
      anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: [{ field: "email", description: "not an email" }] })),
      anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "BAD_EMAIL", domain: "users.example.com" })),
    ],
  });
  const base64 = Buffer.from(toBinary(StatusSchema, status)).toString("base64");
  return unpadded ? base64.replace(/=+$/, "") : base64;
}

/** Node's header objects hold `:status` as a number, which the type does not say. */
function withStatus(fields: Record<string, string | string[] | number | undefined>): http2.IncomingHttpHeaders {
  return fields as http2.IncomingHttpHeaders;
}

function errorOf(fields: http2.IncomingHttpHeaders): ConnectError {
  const result = readGrpcStatus(fields);
  if (!(result instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(result)}`);
  return result;
}

describe("readGrpcStatus", () => {
  it("returns undefined when grpc-status is absent", () => {
    expect(readGrpcStatus(withStatus({ ":status": 200, "content-type": "application/grpc" }))).toBeUndefined();
  });

  it("returns null for status 0, whatever else the fields say", () => {
    expect(readGrpcStatus({ "grpc-status": "0" })).toBeNull();
    expect(readGrpcStatus({ "grpc-status": "0", "grpc-message": "ok", "grpc-status-details-bin": "!!" })).toBeNull();
  });

  it("returns an error with the status code and the percent-decoded message", () => {
    const error = errorOf({ "grpc-status": "5", "grpc-message": "user%20u-42%20not%20found%3A%20%E2%9C%93" });
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toBe("user u-42 not found: ✓");
  });

  it("reads every valid code from 1 to 16", () => {
    for (let code = 1; code <= 16; code++) expect(errorOf({ "grpc-status": String(code) }).code).toBe(code);
  });

  it("keeps the raw message when a %-escape is broken, and the code", () => {
    for (const raw of ["100%", "bad %zz escape", "half %E2%9C", "%"]) {
      const error = errorOf({ "grpc-status": "9", "grpc-message": raw });
      expect(error.code).toBe(Code.FailedPrecondition);
      expect(error.rawMessage).toBe(raw);
    }
  });

  it("returns UNKNOWN naming the value for a grpc-status that is not a valid code", () => {
    for (const bad of ["99", "abc", "", "-1", "1.0", "17", "05", "00", " 5", "5 "]) {
      const error = errorOf({ "grpc-status": bad });
      expect([bad, error.code]).toEqual([bad, Code.Unknown]);
      expect(error.rawMessage).toBe(`invalid grpc-status "${bad}"`);
    }
    expect(errorOf({ "grpc-status": "99", "grpc-message": "boom" }).rawMessage).toBe('invalid grpc-status "99" with grpc-message "boom"');
  });

  it("decodes grpc-status-details-bin, padded or not, so findDetails and our readers see the details", () => {
    for (const unpadded of [false, true]) {
      const error = errorOf({
        "grpc-status": "3",
        "grpc-message": "invalid email",
        "grpc-status-details-bin": statusBin(3, "invalid email", unpadded),
      });
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.details).toHaveLength(2);
      expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("email");
      expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("BAD_EMAIL");
      expect(readFieldViolations(error)).toEqual([{ field: "email", description: "not an email" }]);
    }
  });

  it("keeps grpc-status and grpc-message when the details' Status disagrees", () => {
    const error = errorOf({
      "grpc-status": "5",
      "grpc-message": "not found",
      "grpc-status-details-bin": statusBin(13, "something else"),
    });
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toBe("not found");
    expect(error.findDetails(ErrorInfoSchema)).toHaveLength(1);
  });

  it("takes the message from the details' Status when grpc-message is absent", () => {
    expect(errorOf({ "grpc-status": "5", "grpc-status-details-bin": statusBin(5, "from status") }).rawMessage).toBe("from status");
  });

  it("drops unparsable details but keeps the code and message", () => {
    for (const bad of ["not base64 at all!", "/////w", Buffer.from([0x0a, 0xff]).toString("base64")]) {
      const error = errorOf({ "grpc-status": "5", "grpc-message": "user u-42 not found", "grpc-status-details-bin": bad });
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toBe("user u-42 not found");
      expect(error.details).toEqual([]);
    }
  });

  it("decodes the first of repeated details values, which Node joins with a comma", () => {
    const bin = statusBin(3, "x");
    expect(errorOf({ "grpc-status": "3", "grpc-status-details-bin": `${bin}, ${bin}` }).details).toHaveLength(2);
  });

  it("keeps every non-pseudo field as metadata, grpc-status and grpc-message included", () => {
    const error = errorOf(
      withStatus({
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": "14",
        "grpc-message": "down",
        "x-trace-bin": "AQI",
        "set-cookie": ["a=1", "b=2"],
      }),
    );
    expect([...error.metadata.entries()]).toEqual([
      ["content-type", "application/grpc"],
      ["grpc-message", "down"],
      ["grpc-status", "14"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["x-trace-bin", "AQI"],
    ]);
  });
});

describe("metadataFromNode", () => {
  it("drops pseudo-headers and appends array values", () => {
    const headers = metadataFromNode(withStatus({ ":status": 200, "x-a": "1", "x-b": ["2", "3"], "x-c": undefined }));
    expect([...headers.entries()]).toEqual([
      ["x-a", "1"],
      ["x-b", "2, 3"],
    ]);
    expect(headers.getSetCookie()).toEqual([]);
  });

  it("skips a value WHATWG Headers rejects instead of throwing", () => {
    const headers = metadataFromNode({ "x-ok": "1", "x-bad": "a\u0100b" });
    expect([...headers.entries()]).toEqual([["x-ok", "1"]]);
  });
});
