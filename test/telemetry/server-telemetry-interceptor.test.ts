import { Code, createClient } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createTransport, type NodeTransport } from "../../src/node/index.js";
import { createTransport as createWebTransport } from "../../src/web/index.js";
import { createServerTelemetryInterceptor, createTelemetryInterceptor } from "../../src/telemetry/index.js";
import type { Protocol } from "../../src/transport/transport-options.js";
import { fault, useFaultyServers } from "../helpers/fault-interceptor.js";
import { TEST_TOKEN } from "../helpers/test-server.js";
import { createTestTelemetry, type TestTelemetry } from "./telemetry-test-kit.js";

const startServer = useFaultyServers();
const transports: NodeTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

/**
 * A reference server with the server telemetry interceptor and a client with
 * the client one, each with its own SDK as two processes would have, over a
 * real connection (HTTP/2 unless the protocol says otherwise).
 */
async function tracedPair(options: { protocol?: Protocol; failGetUser?: number } = {}) {
  const serverOtel = createTestTelemetry();
  const clientOtel = createTestTelemetry();
  const faults = options.failGetUser === undefined ? [] : [fault.fail("GetUser", { code: Code.Unavailable, times: options.failGetUser })];
  const { s } = await startServer(faults, {
    telemetry: createServerTelemetryInterceptor({ tracerProvider: serverOtel.tracerProvider, meterProvider: serverOtel.meterProvider }),
  });
  const { user } = await s.users.createUser({ email: "ada@example.com", name: "Ada" }, s.auth);
  const transport = createTransport({
    baseUrl: s.url,
    auth: TEST_TOKEN,
    ...(options.protocol && { protocol: options.protocol }),
    retry: { initialBackoffMs: 10 },
    telemetry: createTelemetryInterceptor({ tracerProvider: clientOtel.tracerProvider, meterProvider: clientOtel.meterProvider }),
  });
  transports.push(transport);
  return { serverOtel, clientOtel, client: createClient(UserService, transport), userId: user!.id, port: Number(new URL(s.url).port) };
}

const named = (otel: TestTelemetry, name: string) => otel.spans().filter((span) => span.name === name);
const idOf = (span: ReadableSpan | undefined) => span?.spanContext().spanId;

describe("the server span", () => {
  it("continues the client's trace over a real HTTP/2 connection: its parent is the client's attempt span", async () => {
    const { serverOtel, clientOtel, client, userId, port } = await tracedPair();
    await client.getUser({ userId });
    const [call] = named(clientOtel, "user.v1.UserService/GetUser");
    const [attempt] = named(clientOtel, "user.v1.UserService/GetUser attempt");
    const [server] = named(serverOtel, "user.v1.UserService/GetUser");
    expect(server?.kind).toBe(SpanKind.SERVER);
    expect(server?.spanContext().traceId).toBe(call?.spanContext().traceId);
    expect(server?.parentSpanContext).toMatchObject({ spanId: idOf(attempt), isRemote: true });
    expect(server?.attributes).toEqual({
      "rpc.system": "grpc",
      "rpc.service": "user.v1.UserService",
      "rpc.method": "GetUser",
      "server.address": "127.0.0.1",
      "server.port": port,
      "rpc.grpc.status_code": 0,
      "rpc.messages_received": 1,
      "rpc.messages_sent": 1,
    });
    expect(call?.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.grpc.status_code": 0, "server.port": port });
  });

  it("shows each attempt of a call that succeeds on its third attempt as a child of that attempt", async () => {
    const { serverOtel, clientOtel, client, userId } = await tracedPair({ failGetUser: 2 });
    await client.getUser({ userId });
    const attempts = named(clientOtel, "user.v1.UserService/GetUser attempt");
    const servers = named(serverOtel, "user.v1.UserService/GetUser");
    expect(attempts.map((a) => a.attributes["rpc.attempt.number"])).toEqual([1, 2, 3]);
    expect(servers.map((s) => s.parentSpanContext?.spanId)).toEqual(attempts.map(idOf));
    expect(servers.map((s) => [s.attributes["rpc.grpc.status_code"], s.status.code])).toEqual([
      [Code.Unavailable, SpanStatusCode.ERROR],
      [Code.Unavailable, SpanStatusCode.ERROR],
      [0, SpanStatusCode.UNSET],
    ]);
    expect(servers[0]?.status.message).toBe("fault: GetUser attempt 1 failed");
  });

  it("names the Connect protocol connect_rpc on both sides", async () => {
    const { serverOtel, clientOtel, client, userId } = await tracedPair({ protocol: "connect" });
    await expect(client.getUser({ userId: "no-such-user" })).rejects.toThrow();
    await client.getUser({ userId });
    const [failed, ok] = named(serverOtel, "user.v1.UserService/GetUser");
    expect(failed?.attributes).toMatchObject({ "rpc.system": "connect_rpc", "rpc.connect_rpc.error_code": "not_found" });
    expect(ok?.attributes["rpc.connect_rpc.error_code"]).toBeUndefined();
    expect(named(clientOtel, "user.v1.UserService/GetUser")[0]?.attributes["rpc.system"]).toBe("connect_rpc");
  });

  it("records the server metrics", async () => {
    const { serverOtel, client, userId } = await tracedPair({ failGetUser: 1 });
    await client.getUser({ userId });
    const getUser = (points: { attributes: Record<string, unknown> }[]) =>
      points.filter((p) => p.attributes["grpc.method"] === "user.v1.UserService/GetUser" || p.attributes["rpc.method"] === "GetUser");
    expect(getUser(await serverOtel.points("grpc.server.call.started")).map((p) => p.attributes)).toEqual([
      { "grpc.method": "user.v1.UserService/GetUser" },
    ]);
    const durations = getUser(await serverOtel.points("grpc.server.call.duration"));
    expect(durations.map((p) => [p.attributes["grpc.status"], (p as { count?: number }).count])).toEqual([
      ["UNAVAILABLE", 1],
      ["OK", 1],
    ]);
    expect(getUser(await serverOtel.points("rpc.server.call.duration"))).toHaveLength(2);
    expect(getUser(await serverOtel.points("rpc.server.request.size"))[0]).toMatchObject({ count: 2 });
  });
});

describe("the browser build's createTransport", () => {
  it("traces calls and carries the trace to the server too (gRPC-Web over fetch)", async () => {
    const serverOtel = createTestTelemetry();
    const clientOtel = createTestTelemetry();
    const { s } = await startServer([fault.fail("GetUser", { code: Code.Unavailable, times: 1 })], {
      telemetry: createServerTelemetryInterceptor({ tracerProvider: serverOtel.tracerProvider }),
    });
    const client = createClient(
      UserService,
      createWebTransport({
        baseUrl: s.url,
        auth: TEST_TOKEN,
        retry: { initialBackoffMs: 10 },
        telemetry: createTelemetryInterceptor({ tracerProvider: clientOtel.tracerProvider }),
      }),
    );
    await expect(client.getUser({ userId: "no-such-user" })).rejects.toThrow("not found");
    const attempts = named(clientOtel, "user.v1.UserService/GetUser attempt");
    const servers = named(serverOtel, "user.v1.UserService/GetUser");
    expect(attempts).toHaveLength(2);
    expect(servers.map((span) => span.parentSpanContext?.spanId)).toEqual(attempts.map(idOf));
    expect(servers.map((span) => span.attributes["rpc.grpc.status_code"])).toEqual([Code.Unavailable, Code.NotFound]);
  });
});

describe("createTransport", () => {
  it("rejects a telemetry option that is not an interceptor", () => {
    expect(() => createTransport({ baseUrl: "http://127.0.0.1:1", telemetry: {} as never })).toThrow(
      "invalid option telemetry: must be the interceptor createTelemetryInterceptor() returns",
    );
  });
});
