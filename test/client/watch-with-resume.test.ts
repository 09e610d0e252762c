import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { WatchUsersRequest } from "../../gen/user/v1/user_service_pb.js";
import { OutOfRangeError, UnavailableError } from "../../src/errors/index.js";
import { createTransport } from "../../src/node/index.js";
import { createUserClient, type UserClient } from "../../src/users/node.js";
import { type createFaultInterceptor, type Fault, fault, useFaultyServers } from "../helpers/fault-interceptor.js";
import { eventually, rejection, TEST_TOKEN } from "../helpers/test-server.js";

const startFaulty = useFaultyServers();

async function serve(...faults: Fault[]) {
  const { s, faults: f } = await startFaulty(faults);
  const users = createUserClient({ baseUrl: s.url, auth: TEST_TOKEN });
  return { s, faults: f, users };
}

const createMany = async (users: UserClient, from: number, to: number) => {
  for (let i = from; i <= to; i++) await users.createUser({ email: `u${i}@example.com`, name: `U${i}` });
};

const sinceSequences = (f: ReturnType<typeof createFaultInterceptor>) =>
  f.attemptsOf("WatchUsers").map((a) => Number((a.message as WatchUsersRequest).sinceSequence));

describe("watchUsers with resume", () => {
  it("resumes a stream that breaks mid-way, delivering every event once, in order", async () => {
    const { users, faults } = await serve(fault.breakStream("WatchUsers", { afterMessages: 3, times: 2 }));
    await createMany(users, 1, 11); // sequences 1..11
    const resumes: string[] = [];
    const seen: bigint[] = [];
    for await (const event of users.watchUsers(
      { sinceSequence: 1n },
      { initialBackoffMs: 10, onResume: (r) => resumes.push(`from ${r.sinceSequence}: ${r.error.code}`) },
    )) {
      seen.push(event.sequence);
      // More changes while the watch runs (and while it is broken).
      if (seen.length === 2) void createMany(users, 12, 16);
      if (seen.length === 15) break;
    }
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => BigInt(i + 2)));
    expect(resumes).toEqual(["from 4: 14", "from 7: 14"]);
    expect(sinceSequences(faults)).toEqual([1, 4, 7]);
  });

  it("resumes a watch of chosen users from the last event it delivered", async () => {
    const { users, faults } = await serve(fault.breakStream("WatchUsers", { afterMessages: 2, times: 1 }));
    const a = await users.createUser({ email: "a@example.com", name: "A" }); // 1
    const b = await users.createUser({ email: "b@example.com", name: "B" }); // 2
    for (let age = 1; age <= 3; age++) {
      await users.updateUser(a.id, { age }); // 3, 5, 7
      await users.updateUser(b.id, { age }); // 4, 6, 8
    }
    const seen: string[] = [];
    for await (const event of users.watchUsers({ userIds: [a.id], sinceSequence: 1n }, { initialBackoffMs: 10 })) {
      seen.push(`${event.sequence}:${event.user?.age}`);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(["3:1", "5:2", "7:3"]);
    expect(sinceSequences(faults)).toEqual([1, 5]);
  });

  it("gives up after maxReconnects failed reopenings with the last error", async () => {
    const { users, faults } = await serve(fault.breakStream("WatchUsers", { afterMessages: 0 }));
    await createMany(users, 1, 2);
    const e = await rejection(
      (async () => {
        for await (const _ of users.watchUsers({ sinceSequence: 1n }, { initialBackoffMs: 1, maxReconnects: 2 }));
      })(),
    );
    expect(e).toBeInstanceOf(UnavailableError);
    expect(faults.attemptsOf("WatchUsers")).toHaveLength(3);
  });

  it("keeps resuming a quiet watch whose stream keeps breaking after it was open a while", async () => {
    // Each opening stays open 80 ms with no event, then fails UNAVAILABLE (a
    // connection reset): five in a row, more than maxReconnects. A stream open
    // longer than the longest backoff was working, so each break starts a new
    // count; only failures at once add up to maxReconnects.
    const { users, faults } = await serve(
      fault.stall("WatchUsers", { ms: 80, times: 5 }),
      fault.fail("WatchUsers", { code: Code.Unavailable, times: 5 }),
    );
    await createMany(users, 1, 2);
    const seen: bigint[] = [];
    for await (const event of users.watchUsers({ sinceSequence: 1n }, { initialBackoffMs: 1, maxBackoffMs: 40, maxReconnects: 2 })) {
      seen.push(event.sequence);
      break;
    }
    expect(seen).toEqual([2n]);
    expect(faults.attemptsOf("WatchUsers")).toHaveLength(6);
  });

  it("ends with OUT_OF_RANGE, never silently, when asked for events the server does not hold", async () => {
    const { users } = await serve();
    await createMany(users, 1, 1);
    const e = await rejection(
      (async () => {
        for await (const _ of users.watchUsers({ sinceSequence: 99n }));
      })(),
    );
    expect(e).toBeInstanceOf(OutOfRangeError);
  });

  it("stops the server stream when the caller stops reading", async () => {
    const { s, users } = await serve();
    await createMany(users, 1, 3);
    for await (const event of users.watchUsers({ sinceSequence: 1n })) {
      if (event.sequence === 3n) break;
    }
    await eventually(() => s.server.activeCalls().streams === 0, "the server stream to end");
  });

  it("stops the stream without an AbortController of its own over our gRPC transport, and releases the call at once", async () => {
    const { s } = await serve();
    const transport = createTransport({ baseUrl: s.url, auth: TEST_TOKEN });
    // Every watch passes the client's one lifetime signal: none of its own.
    const signals = new Set<AbortSignal | undefined>();
    const users = createUserClient({
      ...transport,
      stream: (method, signal, ...rest) => {
        signals.add(signal);
        return transport.stream(method, signal, ...rest);
      },
    });
    await createMany(users, 1, 3);
    for (let i = 0; i < 3; i++) {
      for await (const event of users.watchUsers({ sinceSequence: 1n })) {
        if (event.sequence === 3n) break;
      }
      expect(transport.activeCalls()).toBe(0);
    }
    expect(signals.size).toBe(1);
    await eventually(() => s.server.activeCalls().streams === 0, "the server stream to end");
    await transport.close();
  });

  it("stops the server stream when the caller stops reading over connect-node's transports too", async () => {
    const { s } = await serve();
    const transport = createTransport({ baseUrl: s.url, auth: TEST_TOKEN, protocol: "connect" });
    const users = createUserClient(transport);
    await createMany(users, 1, 3);
    for await (const event of users.watchUsers({ sinceSequence: 1n })) {
      if (event.sequence === 3n) break;
    }
    await eventually(() => s.server.activeCalls().streams === 0, "the server stream to end");
    await eventually(() => transport.activeCalls() === 0, "the call to be released");
    await transport.close();
  });
});
