import { Code, type ConnectError, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { UnimplementedError } from "../../src/errors/index.js";
import type { TransportOptions } from "../../src/transport/transport-options.js";
import { createTransport } from "../../src/web/create-transport.js";
import { createTransportWithConnect } from "../../src/web/create-transport-with-connect.js";
import { createUserClient } from "../../src/users/web.js";
import { useFaultyServers } from "../helpers/fault-interceptor.js";
import { rejection, streamOf, TEST_TOKEN } from "../helpers/test-server.js";

// The browser build runs on Node's fetch here: HTTP/1.1, as in a browser without HTTP/2.
const startFaulty = useFaultyServers();

async function serve() {
  return startFaulty();
}

describe("createTransport in the browser build", () => {
  it.each([
    { protocol: undefined, logged: "grpc-web" },
    { protocol: "grpc-web", logged: "grpc-web" },
    { protocol: "connect", logged: "connect" },
  ] as const)("speaks $logged when asked for protocol $protocol", async ({ protocol, logged }) => {
    const { s } = await serve();
    const create = protocol === "connect" ? createTransportWithConnect : createTransport;
    const client = createClient(UserService, create({ baseUrl: s.url, auth: TEST_TOKEN, ...(protocol && { protocol }) }));
    const { user } = await client.createUser({ email: "ada@example.com", name: "Ada" });
    expect((await client.getUser({ userId: user!.id })).user?.name).toBe("Ada");
    expect(s.logs).toHaveLength(2);
    for (const line of s.logs) expect(line.split(" ")[0]).toBe(logged);
  });

  it("streams WatchUsers events from the server over gRPC-Web", async () => {
    const { s } = await serve();
    const users = createUserClient({ baseUrl: s.url, auth: TEST_TOKEN });
    const seed = await users.createUser({ email: "seed@example.com", name: "Seed" });
    await users.createUser({ email: "ada@example.com", name: "Ada" });
    const seen: string[] = [];
    for await (const event of users.watchUsers({ sinceSequence: 1n })) {
      seen.push(`${event.sequence} ${event.user?.email}`);
      if (seen.length === 1) await users.deleteUser(seed.id);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(["2 ada@example.com", "3 seed@example.com"]);
  });

  it("rejects protocol grpc at construction, since fetch exposes no trailers", () => {
    expect(() => createTransport({ baseUrl: "http://127.0.0.1:1", protocol: "grpc" })).toThrow(
      /invalid option protocol: "grpc" is not available here; use grpc-web or connect/,
    );
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["the Connect protocol", { protocol: "connect" }, /invalid option protocol: .*use createTransportWithConnect/],
    ["the JSON codec", { useBinaryFormat: false }, /invalid option useBinaryFormat: .*use createTransportWithConnect/],
    ["an unknown protocol", { protocol: "http3" }, /invalid option protocol/],
    ["a malformed url", { baseUrl: "::" }, /invalid option baseUrl/],
    ["a negative timeout", { timeouts: { unaryTimeoutMs: -1 } }, /invalid option unaryTimeoutMs/],
  ])("throws at construction on %s, naming the option", (_, options, message) => {
    expect(() => createTransport({ baseUrl: "http://127.0.0.1:1", ...options } as TransportOptions)).toThrow(message);
  });

  it("fails a client-streaming call at once with Unimplemented naming the method, without a request", async () => {
    const { s, faults } = await serve();
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN }));
    const e = await rejection(client.bulkCreateUsers(streamOf({ email: "ada@example.com", name: "Ada" })));
    expect(e).toBeInstanceOf(UnimplementedError);
    expect(e.code).toBe(Code.Unimplemented);
    expect(e.rawMessage).toContain("user.v1.UserService/BulkCreateUsers");
    expect(e.rawMessage).toContain("browsers cannot stream request bodies");
    expect(s.logs).toEqual([]);
    expect(faults.attempts).toEqual([]);
  });

  it.each(["grpc-web", "connect"] as const)(
    "fails a bidi call over %s at once with Unimplemented naming the method, without a request",
    async (protocol) => {
      const { s, faults } = await serve();
      const client = createClient(UserService, createTransportWithConnect({ baseUrl: s.url, auth: TEST_TOKEN, protocol }));
      const started = performance.now();
      let error: unknown;
      try {
        for await (const _ of client.syncUsers(streamOf({ user: { id: "u-1", age: 3 }, updateMask: { paths: ["age"] } }))) {
          throw new Error("expected no response");
        }
      } catch (e) {
        error = e;
      }
      expect(performance.now() - started).toBeLessThan(100);
      expect(error).toBeInstanceOf(UnimplementedError);
      const e = error as ConnectError;
      expect(e.rawMessage).toContain("user.v1.UserService/SyncUsers");
      expect(e.rawMessage).toContain("browsers cannot stream request bodies");
      expect(s.logs).toEqual([]);
      expect(faults.attempts).toEqual([]);
    },
  );

  it("fails the user client's bulkCreateUsers and syncUsers the same way", async () => {
    const { s } = await serve();
    const users = createUserClient({ baseUrl: s.url, auth: TEST_TOKEN });
    const bulk = await rejection(users.bulkCreateUsers([{ email: "ada@example.com", name: "Ada" }]));
    expect(bulk).toBeInstanceOf(UnimplementedError);
    const sync = await rejection(
      (async () => {
        for await (const _ of users.syncUsers([{ userId: "u-1", changes: { age: 3 } }]));
      })(),
    );
    expect(sync).toBeInstanceOf(UnimplementedError);
    expect(s.logs).toEqual([]);
  });
});
