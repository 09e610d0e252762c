import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { DeadlineExceededError } from "../../src/errors/index.js";
import { createTransport } from "../../src/node/create-transport.js";
import { type Fault, fault, useFaultyServers } from "../helpers/fault-interceptor.js";
import { rejection, TEST_TOKEN } from "../helpers/test-server.js";

const startFaulty = useFaultyServers();

async function serve(options: { auth?: boolean }, ...faults: Fault[]) {
  return startFaulty(faults, options);
}

describe("the interceptor stack of createTransport", () => {
  it("lets one deadline cover every retry attempt, with no attempt after it", async () => {
    // Every attempt takes 60 ms and fails with UNAVAILABLE; backoff is short,
    // so only the deadline can end the call.
    const { s, faults } = await serve({}, fault.stall("GetUser", { ms: 60 }), fault.fail("GetUser", { code: Code.Unavailable }));
    // The caller's own interceptor runs once per attempt, as it starts.
    const attemptStarts: number[] = [];
    const transport = createTransport({
      baseUrl: s.url,
      auth: TEST_TOKEN,
      retry: { maxAttempts: 10, initialBackoffMs: 10, maxBackoffMs: 10, throttle: false },
      interceptors: [
        (next) => (req) => {
          attemptStarts.push(performance.now());
          return next(req);
        },
      ],
    });
    const client = createClient(UserService, transport);
    await client.createUser({ email: "ada@example.com", name: "Ada" }); // connects
    attemptStarts.length = 0;
    const timeoutMs = 300;
    const started = performance.now();
    const e = await rejection(client.getUser({ userId: "u-1" }, { timeoutMs }));
    const elapsed = performance.now() - started;
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect(elapsed).toBeLessThan(timeoutMs * 1.1 + 50);
    const attempts = faults.attemptsOf("GetUser");
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    // An attempt started just before the deadline may be cancelled before the
    // server sees it, so the server can have one attempt fewer, never more.
    expect(attemptStarts.length - attempts.length).toBeGreaterThanOrEqual(0);
    expect(attemptStarts.length - attempts.length).toBeLessThanOrEqual(1);
    // The deadline runs from when the call enters the stack, at its first attempt.
    const deadline = attemptStarts[0]! + timeoutMs;
    const sentTimeouts = attempts.map((a) => Number.parseInt(a.header.get("grpc-timeout") ?? "", 10));
    attemptStarts.forEach((at) => {
      expect(at).toBeLessThan(deadline);
    });
    sentTimeouts.forEach((sent, i) => {
      // Each attempt is told only the time left, not the whole timeout (a later
      // attempt starts 70+ ms in). The slack: the header rounds up to 1 ms, and
      // it is written just before the interceptor runs, which on a loaded
      // machine can be a fraction of a millisecond earlier than on attempt 1.
      expect(attemptStarts[i]! + sent).toBeLessThanOrEqual(deadline + 3);
    });
  });

  it("asks auth for the current token on every attempt", async () => {
    // The server accepts any token here; the fault makes ListUsers reject the first one.
    const { s, faults } = await serve(
      { auth: false },
      fault.fail("GetUser", { code: Code.Unavailable, times: 1, pushbackMs: 200 }),
      fault.fail("ListUsers", { code: Code.Unauthenticated, times: 1 }),
    );
    let issued = 0;
    const client = createClient(
      UserService,
      createTransport({ baseUrl: s.url, auth: () => `token-${++issued}`, retry: { throttle: false } }),
    );
    const { user } = await client.createUser({ email: "ada@example.com", name: "Ada" });
    // While GetUser waits out its pushback, ListUsers is told its token is
    // stale and gets a new one: GetUser's retry must carry the new token.
    const get = client.getUser({ userId: user!.id });
    await new Promise((r) => setTimeout(r, 50));
    await client.listUsers({});
    await get;
    expect(faults.attempts.map((a) => `${a.method} ${a.header.get("authorization")}`)).toEqual([
      "CreateUser Bearer token-1",
      "GetUser Bearer token-1",
      "ListUsers Bearer token-1",
      "ListUsers Bearer token-2",
      "GetUser Bearer token-2",
    ]);
    expect(issued).toBe(2);
  });

  it("runs the caller's own interceptors once per attempt, seeing the authorization header", async () => {
    const { s } = await serve({}, fault.fail("GetUser", { code: Code.Unavailable, times: 2 }));
    const seen: string[] = [];
    const own: Interceptor = (next) => async (req) => {
      seen.push(`${req.method.name} ${req.header.get("authorization")} previous=${req.header.get("grpc-previous-rpc-attempts") ?? "-"}`);
      return next(req);
    };
    const client = createClient(
      UserService,
      createTransport({ baseUrl: s.url, auth: TEST_TOKEN, interceptors: [own], retry: { initialBackoffMs: 5 } }),
    );
    const { user } = await client.createUser({ email: "ada@example.com", name: "Ada" });
    await client.getUser({ userId: user!.id });
    expect(seen).toEqual([
      "CreateUser Bearer test-token previous=-",
      "GetUser Bearer test-token previous=-",
      "GetUser Bearer test-token previous=1",
      "GetUser Bearer test-token previous=2",
    ]);
  });
});
