import * as diagnostics from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ListUsersResponseSchema, UserService } from "../../gen/user/v1/user_service_pb.js";
import { ResourceExhaustedError } from "../../src/errors/index.js";
import { createTransport } from "../../src/node/create-transport.js";
import type { TransportOptions } from "../../src/transport/transport-options.js";
import { type Fault, fault, useFaultyServers } from "../helpers/fault-interceptor.js";
import { rejection, TEST_TOKEN } from "../helpers/test-server.js";

const startFaulty = useFaultyServers();

async function serve(...faultList: Fault[]) {
  const { s, faults } = await startFaulty(faultList);
  return { s, faults, port: Number(new URL(s.url).port) };
}

/** The HTTP versions of the HTTP/1.x requests a server on `port` receives (HTTP/2 ones are not seen). */
function watchHttp1Requests(port: number) {
  const versions: string[] = [];
  const onStart = (message: unknown) => {
    const request = (message as { request: IncomingMessage }).request;
    if (request.socket.localPort === port) versions.push(request.httpVersion);
  };
  diagnostics.subscribe("http.server.request.start", onStart);
  return { versions, stop: () => diagnostics.unsubscribe("http.server.request.start", onStart) };
}

describe("createTransport on Node", () => {
  it.each([
    { protocol: undefined, httpVersion: undefined, logged: "grpc", http1: false },
    { protocol: "grpc", httpVersion: "2", logged: "grpc", http1: false },
    { protocol: "grpc-web", httpVersion: "1.1", logged: "grpc-web", http1: true },
    { protocol: "grpc-web", httpVersion: "2", logged: "grpc-web", http1: false },
    { protocol: "connect", httpVersion: "1.1", logged: "connect", http1: true },
    { protocol: "connect", httpVersion: "2", logged: "connect", http1: false },
  ] as const)(
    "speaks $logged when asked for protocol $protocol over HTTP $httpVersion",
    async ({ protocol, httpVersion, logged, http1 }) => {
      const { s, port } = await serve();
      const http1Requests = watchHttp1Requests(port);
      try {
        const client = createClient(
          UserService,
          createTransport({
            baseUrl: s.url,
            auth: TEST_TOKEN,
            ...(protocol && { protocol }),
            ...(httpVersion && { httpVersion }),
          }),
        );
        const { user } = await client.createUser({ email: "ada@example.com", name: "Ada" });
        expect((await client.getUser({ userId: user!.id })).user?.email).toBe("ada@example.com");
      } finally {
        http1Requests.stop();
      }
      expect(s.logs).toHaveLength(2);
      for (const line of s.logs) expect(line.split(" ")[0]).toBe(logged);
      expect(http1Requests.versions).toEqual(http1 ? ["1.1", "1.1"] : []);
    },
  );

  it("sends its headers on every call, and a call's own header wins", async () => {
    const { s, faults } = await serve();
    const client = createClient(
      UserService,
      createTransport({ baseUrl: s.url, auth: TEST_TOKEN, headers: { "x-tenant": "acme", "x-team": "blue" } }),
    );
    const { user } = await client.createUser({ email: "ada@example.com", name: "Ada" });
    await client.getUser({ userId: user!.id }, { headers: { "x-tenant": "umbrella" } });
    expect(faults.attempts.map((a) => [a.method, a.header.get("x-tenant"), a.header.get("x-team")])).toEqual([
      ["CreateUser", "acme", "blue"],
      ["GetUser", "umbrella", "blue"],
    ]);
  });

  it("rejects a response larger than readMaxBytes with ResourceExhausted", async () => {
    const { s } = await serve();
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN, readMaxBytes: 300 }));
    for (let i = 0; i < 5; i++) await client.createUser({ email: `u${i}@example.com`, name: `User ${i}` });
    const e = await rejection(client.listUsers({}));
    expect(e).toBeInstanceOf(ResourceExhaustedError);
    expect(e.rawMessage).toMatch(/message size \d+ is larger than configured readMaxBytes 300/);
    // One user fits, so the limit is about size, not about the call.
    expect((await client.listUsers({ pageSize: 1 })).users).toHaveLength(1);
  });

  it("accepts a response up to the default readMaxBytes of 4 MiB and rejects a larger one", async () => {
    const mib = 1024 * 1024;
    // The server caps names at 200 characters, so the fault pads the response instead.
    const pad = (bytes: number) => () => create(ListUsersResponseSchema, { users: [{ id: "u-pad", name: "x".repeat(bytes) }] });
    const { s } = await serve(
      fault.rewrite("ListUsers", { times: 1, rewrite: pad(4 * mib - 100) }),
      fault.rewrite("ListUsers", { rewrite: pad(4 * mib + 100) }),
    );
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN, retry: { maxAttempts: 1 } }));
    expect((await client.listUsers({})).users[0]?.name).toHaveLength(4 * mib - 100);
    const e = await rejection(client.listUsers({}));
    expect(e).toBeInstanceOf(ResourceExhaustedError);
    expect(e.rawMessage).toContain(`readMaxBytes ${4 * mib}`);
  });

  it.each(["gzip", "br"] as const)("sends %s-compressed requests the server reads", async (sendCompression) => {
    const { s, faults } = await serve();
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN, sendCompression }));
    // Over connect-node's 1 KiB threshold, so the message really is compressed.
    const password = "p".repeat(4096);
    const { user } = await client.createUser({ email: "ada@example.com", name: "Ada", password });
    expect(user?.email).toBe("ada@example.com");
    expect(faults.attempts[0]?.header.get("grpc-encoding")).toBe(sendCompression);
    expect((faults.attempts[0]!.message as { password: string }).password).toBe(password);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["a negative timeout", { timeouts: { unaryTimeoutMs: -1 } }, /invalid option unaryTimeoutMs/],
    ["an unknown protocol", { protocol: "grpcx" }, /invalid option protocol: "grpcx"/],
    ["a malformed url", { baseUrl: "http//nope" }, /invalid option baseUrl: "http\/\/nope" is not a valid URL/],
    ["a url with another scheme", { baseUrl: "ftp://127.0.0.1" }, /invalid option baseUrl/],
    ["gRPC over HTTP/1.1", { protocol: "grpc", httpVersion: "1.1" }, /invalid option httpVersion: gRPC needs HTTP\/2/],
    ["the default gRPC over HTTP/1.1", { httpVersion: "1.1" }, /invalid option httpVersion: gRPC needs HTTP\/2/],
    ["a zero readMaxBytes", { readMaxBytes: 0 }, /invalid option readMaxBytes/],
    ["a negative readMaxBytes", { readMaxBytes: -5 }, /invalid option readMaxBytes/],
    ["a bad retry option", { retry: { maxAttempts: 0 } }, /maxAttempts/],
    ["a flow-control window under HTTP/2's 65,535", { flowControlWindowBytes: 1024 }, /invalid option flowControlWindowBytes/],
    ["a flow-control window over 2^31 - 1", { flowControlWindowBytes: 2 ** 31 }, /invalid option flowControlWindowBytes/],
  ])("throws at construction on %s, naming the option", (_, options, message) => {
    const make = () => createTransport({ baseUrl: "http://127.0.0.1:1", ...options } as TransportOptions);
    expect(make).toThrow(message);
    try {
      make();
    } catch (e) {
      expect(e).toBeInstanceOf(ConnectError);
      expect((e as ConnectError).code).toBe(Code.InvalidArgument);
    }
  });
});
