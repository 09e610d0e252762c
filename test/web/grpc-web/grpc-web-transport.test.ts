import { Code, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";
import {
  CanceledError,
  DeadlineExceededError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
} from "../../../src/errors/index.js";
import { createTransport } from "../../../src/web/create-transport.js";
import { createTransportWithConnect } from "../../../src/web/create-transport-with-connect.js";
import { fault, useFaultyServers } from "../../helpers/fault-interceptor.js";
import { eventually, rejection, TEST_TOKEN } from "../../helpers/test-server.js";
import { createUserClient } from "../../../src/client/user-client.js";

// Our gRPC-Web transport on Node's fetch (HTTP/1.1, as a browser without
// HTTP/2) against the real reference server on loopback.
const startServer = useFaultyServers();

describe("the browser transport over fetch", () => {
  it("sends binary gRPC-Web with the token, the deadline and one correlation id for every attempt", async () => {
    const { s, faults } = await startServer([fault.fail("GetUser", { code: Code.Unavailable, times: 2 })]);
    const client = createClient(
      UserService,
      createTransport({ baseUrl: s.url, auth: TEST_TOKEN, retry: { initialBackoffMs: 1, maxBackoffMs: 2 } }),
    );
    const { user } = await client.createUser({ email: "ada@example.com", name: "Ada" });
    const got = await client.getUser({ userId: user!.id }, { timeoutMs: 5_000 });
    expect(got.user?.name).toBe("Ada");
    const attempts = faults.attemptsOf("GetUser");
    expect(attempts.map((a) => a.header.get("grpc-previous-rpc-attempts"))).toEqual([null, "1", "2"]);
    expect(attempts.map((a) => a.header.get("content-type"))).toEqual(Array(3).fill("application/grpc-web+proto"));
    expect(attempts.every((a) => a.header.get("authorization") === `Bearer ${TEST_TOKEN}`)).toBe(true);
    expect(new Set(attempts.map((a) => a.header.get("x-correlation-id"))).size).toBe(1);
    for (const a of attempts) expect(a.header.get("grpc-timeout")).toMatch(/^\d+m$/);
  });

  it("gives typed errors with their details", async () => {
    const { s } = await startServer();
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN }));
    const e = await rejection(client.createUser({ email: "not-an-email", name: "Bad" }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).fieldViolations.map((v) => v.field)).toEqual(["email"]);
  });

  it("ends a call at its deadline with DeadlineExceededError, one local timer for the whole call", async () => {
    const { s } = await startServer([fault.stall("GetUser", { ms: 2_000 })]);
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN }));
    const started = performance.now();
    const e = await rejection(client.getUser({ userId: "u-1" }, { timeoutMs: 150 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect(e.rawMessage).toBe("deadline exceeded after 150 ms calling user.v1.UserService/GetUser");
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it("reports a server it cannot reach as UnavailableError with the CORS hint", async () => {
    const client = createClient(UserService, createTransport({ baseUrl: "http://127.0.0.1:1", retry: false }));
    const e = await rejection(client.getUser({ userId: "u-1" }));
    expect(e).toBeInstanceOf(UnavailableError);
    expect(e.rawMessage).toMatch(/^network error calling http:\/\/127\.0\.0\.1:1\/user\.v1\.UserService\/GetUser: .*check CORS\)$/);
  });

  it("calls the fetch it is given, with credentials and the transport's headers", async () => {
    const { s } = await startServer();
    const seen: RequestInit[] = [];
    const transport = createTransport({
      baseUrl: s.url,
      auth: TEST_TOKEN,
      credentials: "include",
      headers: { "x-app": "demo" },
      fetch: (input, init) => {
        seen.push(init!);
        return fetch(input, init);
      },
    });
    await createClient(UserService, transport).listUsers({});
    expect(seen).toHaveLength(1);
    expect(seen[0]?.credentials).toBe("include");
    expect((seen[0]!.headers as Record<string, string>)["x-app"]).toBe("demo");
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it("counts calls in flight, lets them finish within close's grace, then refuses new ones", async () => {
    const { s } = await startServer([fault.stall("GetUser", { ms: 100 })]);
    const transport = createTransport({ baseUrl: s.url, auth: TEST_TOKEN });
    const client = createClient(UserService, transport);
    const { user } = await client.createUser({ email: "ada@example.com", name: "Ada" });
    const pending = client.getUser({ userId: user!.id });
    expect(transport.activeCalls()).toBe(1);
    expect(transport.state()).toBe("ready");
    await transport.close({ graceMs: 2_000 });
    expect((await pending).user?.name).toBe("Ada");
    expect(transport.state()).toBe("closed");
    expect(transport.activeCalls()).toBe(0);
    const refused = await rejection(client.getUser({ userId: user!.id }));
    expect(refused).toBeInstanceOf(CanceledError);
    expect(refused.rawMessage).toBe("transport is closed: close() was called, so it takes no new calls");
  });

  it("aborts what is still in flight when close's grace is over, a server stream too", async () => {
    const { s } = await startServer([fault.stall("GetUser", { ms: 5_000 })]);
    const transport = createTransport({ baseUrl: s.url, auth: TEST_TOKEN });
    const client = createClient(UserService, transport);
    const unary = rejection(client.getUser({ userId: "u-1" }));
    const stream = client.watchUsers({})[Symbol.asyncIterator]();
    const read = rejection(stream.next());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(transport.activeCalls()).toBe(2);
    const started = performance.now();
    await transport.close({ graceMs: 50 });
    expect(performance.now() - started).toBeLessThan(1_000);
    for (const e of [await unary, await read]) {
      expect(e).toBeInstanceOf(CanceledError);
      expect(e.rawMessage).toBe("transport closed: the call did not finish within the 50 ms grace period");
    }
    expect(transport.activeCalls()).toBe(0);
  });

  it("counts an open server stream until its caller cancels it", async () => {
    const { s } = await startServer();
    const transport = createTransport({ baseUrl: s.url, auth: TEST_TOKEN });
    const client = createClient(UserService, transport);
    await client.createUser({ email: "seed@example.com", name: "Seed" });
    await client.createUser({ email: "ada@example.com", name: "Ada" });
    const stop = new AbortController();
    const stream = client.watchUsers({ sinceSequence: 1n }, { signal: stop.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.user?.email).toBe("ada@example.com");
    expect(transport.activeCalls()).toBe(1);
    stop.abort();
    expect(await rejection(stream.next())).toBeInstanceOf(CanceledError);
    expect(transport.activeCalls()).toBe(0);
  });

  it("ends the server stream and releases the call when a user client's watch is left early, with no AbortController of its own", async () => {
    const { s } = await startServer();
    const transport = createTransport({ baseUrl: s.url, auth: TEST_TOKEN });
    const signals = new Set<AbortSignal | undefined>();
    const users = createUserClient({
      ...transport,
      stream: (method, signal, ...rest) => {
        signals.add(signal);
        return transport.stream(method, signal, ...rest);
      },
    });
    for (let i = 1; i <= 3; i++) await users.createUser({ email: `u${i}@example.com`, name: `U${i}` });
    for (let i = 0; i < 2; i++) {
      for await (const event of users.watchUsers({ sinceSequence: 1n })) {
        if (event.sequence === 3n) break;
      }
      expect(transport.activeCalls()).toBe(0);
    }
    // Both watches passed the client's one lifetime signal.
    expect(signals.size).toBe(1);
    await eventually(() => s.server.activeCalls().streams === 0, "the server stream to end");
  });

  it("refuses a response message above readMaxBytes with ResourceExhaustedError, and does not retry it", async () => {
    const { s, faults } = await startServer();
    await s.users.createUser({ email: "ada@example.com", name: "Ada Lovelace, Countess of Lovelace" }, s.auth);
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN, readMaxBytes: 16 }));
    const e = await rejection(client.listUsers({}));
    expect(e).toBeInstanceOf(ResourceExhaustedError);
    expect(e.rawMessage).toMatch(/^message size \d+ is larger than configured readMaxBytes 16$/);
    expect(faults.attemptsOf("ListUsers")).toHaveLength(1);
  });

  it("speaks gRPC-Web with the JSON codec when createTransportWithConnect is asked for it", async () => {
    const { s, faults } = await startServer();
    const client = createClient(UserService, createTransportWithConnect({ baseUrl: s.url, auth: TEST_TOKEN, useBinaryFormat: false }));
    const { user } = await client.createUser({ email: "ada@example.com", name: "Ada" });
    expect((await client.getUser({ userId: user!.id })).user?.email).toBe("ada@example.com");
    expect(faults.attemptsOf("GetUser")[0]?.header.get("content-type")).toBe("application/grpc-web+json");
    expect(await rejection(client.getUser({ userId: "nobody" }))).toBeInstanceOf(NotFoundError);
  });
});
