import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { connectErrorCode, describeRpc, grpcStatusName, rpcSystemOf, statusAttributes } from "../../src/telemetry/rpc-attributes.js";

describe("rpcSystemOf", () => {
  it.each([
    ["application/grpc", "grpc"],
    ["application/grpc+proto", "grpc"],
    ["application/grpc-web+proto", "grpc"],
    ["application/connect+proto", "connect_rpc"],
    ["application/proto", "connect_rpc"],
    ["application/json", "connect_rpc"],
  ])("names %s %s", (contentType, system) => {
    expect(rpcSystemOf(new Headers({ "content-type": contentType }))).toBe(system);
  });

  it("names a request without a content type (a Connect GET) connect_rpc", () => {
    expect(rpcSystemOf(new Headers())).toBe("connect_rpc");
  });
});

describe("describeRpc", () => {
  const req = (url: string) => ({
    service: UserService,
    method: UserService.method.getUser,
    url,
    header: new Headers({ "content-type": "application/grpc" }),
  });

  it("takes the server address and port from the URL, and the target without the method path", () => {
    expect(describeRpc(req("http://[::1]:50051/api/user.v1.UserService/GetUser"))).toEqual({
      system: "grpc",
      fullMethod: "user.v1.UserService/GetUser",
      target: "http://[::1]:50051/api",
      attributes: {
        "rpc.system": "grpc",
        "rpc.service": "user.v1.UserService",
        "rpc.method": "GetUser",
        "server.address": "::1",
        "server.port": 50051,
      },
    });
  });

  it("fills in the scheme's default port", () => {
    expect(describeRpc(req("https://api.example.com/user.v1.UserService/GetUser")).attributes["server.port"]).toBe(443);
    expect(describeRpc(req("http://api.example.com/user.v1.UserService/GetUser")).attributes["server.port"]).toBe(80);
  });
});

describe("status attributes", () => {
  it("are numeric for gRPC, 0 on success", () => {
    expect(statusAttributes("grpc", undefined)).toEqual({ "rpc.grpc.status_code": 0 });
    expect(statusAttributes("grpc", Code.Unavailable)).toEqual({ "rpc.grpc.status_code": 14 });
  });

  it("are Connect error codes, on errors only, spelled as the conventions list them", () => {
    expect(statusAttributes("connect_rpc", undefined)).toEqual({});
    expect(statusAttributes("connect_rpc", Code.DeadlineExceeded)).toEqual({ "rpc.connect_rpc.error_code": "deadline_exceeded" });
    expect(connectErrorCode(Code.Canceled)).toBe("cancelled");
  });

  it("name gRPC codes as gRFC A66 does", () => {
    expect([undefined, Code.Canceled, Code.Unauthenticated].map(grpcStatusName)).toEqual(["OK", "CANCELLED", "UNAUTHENTICATED"]);
  });
});
