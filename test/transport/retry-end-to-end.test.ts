import { Code, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { DeadlineExceededError, InternalError, UnauthenticatedError, UnavailableError } from "../../src/errors/index.js";
import { createTransport } from "../../src/node/index.js";
import { createUserClient } from "../../src/users/node.js";
import type { Protocol } from "../../src/transport/transport-options.js";
import { type Fault, fault, useFaultyServers } from "../helpers/fault-interceptor.js";
import { rejection, type RunningServer, TEST_TOKEN } from "../helpers/test-server.js";

const startFaulty = useFaultyServers();

async function serve(...faults: Fault[]) {
  const { s, faults: f } = await startFaulty(faults);
  return { s, faults: f };
}

/** A createClient on createTransport, and a user to get. */
async function clientWithUser(s: RunningServer, protocol: Protocol = "grpc") {
  const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN, protocol }));
  const { user } = await client.createUser({ email: "ada@example.com", name: "Ada" });
  return { client, userId: user!.id };
}

const protocols: Protocol[] = ["grpc", "grpc-web", "connect"];

describe("retries end to end", () => {
  it.each(protocols)("recovers an idempotent GetUser from two UNAVAILABLE answers over %s", async (protocol) => {
    const { s, faults } = await serve(fault.fail("GetUser", { code: Code.Unavailable, times: 2 }));
    const { client, userId } = await clientWithUser(s, protocol);
    const { user } = await client.getUser({ userId });
    expect(user?.name).toBe("Ada");
    expect(faults.attemptsOf("GetUser").map((a) => a.header.get("grpc-previous-rpc-attempts"))).toEqual([null, "1", "2"]);
  });

  it.each(protocols)("waits the grpc-retry-pushback-ms of 300 ms before retrying over %s", async (protocol) => {
    const { s, faults } = await serve(fault.fail("GetUser", { code: Code.Unavailable, times: 1, pushbackMs: 300 }));
    const { client, userId } = await clientWithUser(s, protocol);
    await client.getUser({ userId });
    const [gap] = faults.gapsOf("GetUser");
    // Node timers may fire a millisecond early against performance.now().
    expect(gap).toBeGreaterThanOrEqual(300 - 2);
    // Not hugely more: the loopback round trip, with slack for a loaded machine.
    expect(gap).toBeLessThan(300 * 1.5);
  });

  it.each(protocols)("waits the RetryInfo retry_delay of 250 ms before retrying over %s", async (protocol) => {
    const { s, faults } = await serve(fault.fail("GetUser", { code: Code.Unavailable, times: 1, retryDelayMs: 250 }));
    const { client, userId } = await clientWithUser(s, protocol);
    await client.getUser({ userId });
    const [gap] = faults.gapsOf("GetUser");
    expect(gap).toBeGreaterThanOrEqual(250 - 2);
    expect(gap).toBeLessThan(250 * 1.5);
  });

  it("does not retry INTERNAL", async () => {
    const { s, faults } = await serve(fault.fail("GetUser", { code: Code.Internal, times: 1 }));
    const { client, userId } = await clientWithUser(s);
    const e = await rejection(client.getUser({ userId }));
    expect(e).toBeInstanceOf(InternalError);
    expect(faults.attemptsOf("GetUser")).toHaveLength(1);
  });

  it("does not retry a CreateUser the caller did not opt in, since it is not idempotent", async () => {
    const { s, faults } = await serve(fault.fail("CreateUser", { code: Code.Unavailable, times: 1 }));
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN }));
    const e = await rejection(client.createUser({ email: "ada@example.com", name: "Ada" }));
    expect(e).toBeInstanceOf(UnavailableError);
    expect(faults.attemptsOf("CreateUser")).toHaveLength(1);
  });

  it.each([
    ["grpc", 200],
    ["grpc", 1000],
    ["grpc-web", 200],
    ["connect", 200],
  ] as const)("ends a %s call with timeoutMs %i within 10 percent + 50 ms although the server stalls", async (protocol, timeoutMs) => {
    const { s } = await serve(fault.stall("GetUser", { ms: 10_000 }));
    const { client, userId } = await clientWithUser(s, protocol);
    const started = performance.now();
    const e = await rejection(client.getUser({ userId }, { timeoutMs }));
    const elapsed = performance.now() - started;
    expect(e).toBeInstanceOf(DeadlineExceededError);
    // Node timers may fire a millisecond or two early against performance.now().
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(elapsed).toBeLessThan(timeoutMs * 1.1 + 50);
  });
});

describe("auth end to end", () => {
  it("fails a call with a wrong token with an UnauthenticatedError", async () => {
    const { s } = await serve();
    const users = createUserClient({ baseUrl: s.url, auth: "wrong-token" });
    const e = await rejection(users.getUser("u-1"));
    expect(e).toBeInstanceOf(UnauthenticatedError);
    expect(e.rawMessage).toBe("invalid token");
  });

  it("recovers when the token provider returns a fresh token on refresh, replaying the call once", async () => {
    const { s, faults } = await serve();
    const tokens = ["expired-token", TEST_TOKEN];
    let asked = 0;
    const users = createUserClient({ baseUrl: s.url, auth: () => tokens[asked++]! });
    const created = await users.createUser({ email: "ada@example.com", name: "Ada" });
    const user = await users.getUser(created.id);
    expect(user.email).toBe("ada@example.com");
    expect(asked).toBe(2);
    // CreateUser is public, so the stale token first shows on GetUser.
    expect(s.logs.map((l) => l.split(" ").slice(1, 3).join(" "))).toEqual([
      "user.v1.UserService/CreateUser ok",
      "user.v1.UserService/GetUser unauthenticated",
      "user.v1.UserService/GetUser ok",
    ]);
    expect(faults.attemptsOf("GetUser").map((a) => a.header.get("authorization"))).toEqual([`Bearer ${TEST_TOKEN}`]);
  });
});
