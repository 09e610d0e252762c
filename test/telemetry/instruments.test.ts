import { toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GetUserRequestSchema, GetUserResponseSchema } from "../../gen/user/v1/user_service_pb.js";
import { drain } from "../interceptors/retry-test-kit.js";
import { ada, type Point, setup } from "./telemetry-test-kit.js";

const getUser = { "grpc.method": "user.v1.UserService/GetUser", "grpc.target": "https://in-memory" };
const rpcGetUser = {
  "rpc.system": "connect_rpc",
  "rpc.service": "user.v1.UserService",
  "rpc.method": "GetUser",
  "server.address": "in-memory",
  "server.port": 443,
};

/** Points as [attributes, count or value], for exact comparison. */
const summary = (points: Point[]) => points.map((p) => [p.attributes, p.count ?? p.value]);
const sums = (points: Point[]) => points.map((p) => [p.attributes, p.sum ?? p.value]);

describe("client metrics", () => {
  it("record a call that succeeds: one call, one attempt, no retry", async () => {
    const { otel, client } = setup();
    await client.getUser({ userId: ada.id });
    expect(summary(await otel.points("rpc.client.call.duration"))).toEqual([[{ ...rpcGetUser }, 1]]);
    expect(summary(await otel.points("grpc.client.call.duration"))).toEqual([[{ ...getUser, "grpc.status": "OK" }, 1]]);
    expect(summary(await otel.points("grpc.client.attempt.started"))).toEqual([[getUser, 1]]);
    expect(summary(await otel.points("grpc.client.attempt.duration"))).toEqual([[{ ...getUser, "grpc.status": "OK" }, 1]]);
    expect(sums(await otel.points("grpc.client.call.retries"))).toEqual([[getUser, 0]]);
    expect(sums(await otel.points("grpc.client.call.transparent_retries"))).toEqual([[getUser, 0]]);
    expect(sums(await otel.points("grpc.client.call.retry_delay"))).toEqual([[getUser, 0]]);
    expect(await otel.points("grpc.client.call.throttled_retries")).toEqual([]);
  });

  it("record a call that fails with its status code", async () => {
    const { otel, client } = setup();
    await expect(client.getUser({ userId: "u-404" })).rejects.toThrow();
    expect(summary(await otel.points("rpc.client.call.duration"))).toEqual([
      [{ ...rpcGetUser, "rpc.connect_rpc.error_code": "not_found" }, 1],
    ]);
    expect(summary(await otel.points("grpc.client.call.duration"))).toEqual([[{ ...getUser, "grpc.status": "NOT_FOUND" }, 1]]);
    expect(summary(await otel.points("grpc.client.attempt.duration"))).toEqual([[{ ...getUser, "grpc.status": "NOT_FOUND" }, 1]]);
  });

  it("record a call that succeeds on its third attempt: three attempts, two retries, the backoff", async () => {
    const { otel, client, clock } = setup({ failures: [Code.Unavailable, Code.Unavailable] });
    await clock.run(client.getUser({ userId: ada.id }));
    expect(summary(await otel.points("grpc.client.call.duration"))).toEqual([[{ ...getUser, "grpc.status": "OK" }, 1]]);
    expect(summary(await otel.points("grpc.client.attempt.started"))).toEqual([[getUser, 3]]);
    expect(summary(await otel.points("grpc.client.attempt.duration"))).toEqual([
      [{ ...getUser, "grpc.status": "UNAVAILABLE" }, 2],
      [{ ...getUser, "grpc.status": "OK" }, 1],
    ]);
    expect(sums(await otel.points("grpc.client.call.retries"))).toEqual([[getUser, 2]]);
    expect(sums(await otel.points("grpc.client.call.retry_delay"))).toEqual([[getUser, 0.15]]); // 50 + 100 ms
  });

  it("count a retry the throttle refused", async () => {
    const { otel, client } = setup({ failures: [Code.Unavailable], retry: { maxTokens: 2 } });
    await expect(client.getUser({ userId: ada.id })).rejects.toThrow();
    expect(summary(await otel.points("grpc.client.call.throttled_retries"))).toEqual([[getUser, 1]]);
    expect(sums(await otel.points("grpc.client.call.retries"))).toEqual([[getUser, 0]]);
  });

  it("count the call as its own attempt without a retry interceptor", async () => {
    const { otel, client } = setup({ retry: false });
    await client.getUser({ userId: ada.id });
    expect(summary(await otel.points("grpc.client.attempt.started"))).toEqual([[getUser, 1]]);
    expect(summary(await otel.points("grpc.client.attempt.duration"))).toEqual([[{ ...getUser, "grpc.status": "OK" }, 1]]);
  });

  it("measure each message's uncompressed protobuf size", async () => {
    const { otel, client } = setup();
    await client.getUser({ userId: ada.id });
    const request = toBinary(GetUserRequestSchema, { $typeName: "user.v1.GetUserRequest", userId: ada.id }).byteLength;
    const response = toBinary(GetUserResponseSchema, { $typeName: "user.v1.GetUserResponse", user: ada }).byteLength;
    expect(sums(await otel.points("rpc.client.request.size"))).toEqual([[rpcGetUser, request]]);
    expect(sums(await otel.points("rpc.client.response.size"))).toEqual([[rpcGetUser, response]]);
  });

  it("measure every message of a stream", async () => {
    const { otel, client } = setup();
    await drain(client.watchUsers({}));
    const [point] = (await otel.points("rpc.client.response.size")).filter((p) => p.attributes["rpc.method"] === "WatchUsers");
    expect(point?.count).toBe(3);
  });
});
