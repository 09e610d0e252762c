import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GetUserResponseSchema } from "../../gen/user/v1/user_service_pb.js";
import { parseResponse } from "../../src/protocol/parse-response.js";

const wire = {
  name: "user.v1.UserService/GetUser",
  parse: (bytes: Uint8Array) => fromBinary(GetUserResponseSchema, bytes),
};

describe("parseResponse", () => {
  it("returns the decoded message", () => {
    const bytes = toBinary(GetUserResponseSchema, create(GetUserResponseSchema, { user: { id: "u1" } }));
    expect(parseResponse(wire, bytes)).toMatchObject({ user: { id: "u1" } });
  });

  it("fails with INTERNAL naming the method, the decoder's error as cause, when the bytes do not parse", () => {
    let caught: unknown;
    try {
      parseResponse(wire, new Uint8Array([0x0a, 0xff]));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConnectError);
    const error = caught as ConnectError;
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toMatch(/^failed to parse the response of user\.v1\.UserService\/GetUser: /);
    expect(error.cause).toBeInstanceOf(Error);
  });
});
