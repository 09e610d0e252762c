import { Code, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { CanceledError, DeadlineExceededError, InvalidArgumentError, NotFoundError, UnavailableError } from "../../src/errors/index.js";
import { createTransport } from "../../src/node/index.js";
import { createUserClient } from "../../src/users/node.js";
import { type Fault, fault, useFaultyServers } from "../helpers/fault-interceptor.js";
import { rejection, TEST_TOKEN } from "../helpers/test-server.js";

const startFaulty = useFaultyServers();

async function serve(...faults: Fault[]) {
  const { s } = await startFaulty(faults);
  return s;
}

describe("typed errors end to end", () => {
  it.each(["grpc", "grpc-web", "connect"] as const)(
    "gives a NotFoundError from createClient on createTransport over %s",
    async (protocol) => {
      const s = await serve();
      const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN, protocol }));
      const e = await rejection(client.getUser({ userId: "u-42" }));
      expect(e).toBeInstanceOf(NotFoundError);
      expect(e.rawMessage).toBe("user u-42 not found");
    },
  );

  it("gives a NotFoundError from createUserClient", async () => {
    const s = await serve();
    const users = createUserClient({ baseUrl: s.url, auth: TEST_TOKEN });
    const e = await rejection(users.getUser("u-42"));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.code).toBe(Code.NotFound);
  });

  it("gives a DeadlineExceededError from createUserClient when the timeout passes", async () => {
    const s = await serve(fault.stall("GetUser", { ms: 5000 }));
    const users = createUserClient({ baseUrl: s.url, auth: TEST_TOKEN });
    const e = await rejection(users.getUser("u-1", { timeoutMs: 100 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
  });

  it("gives a DeadlineExceededError from createClient on createTransport when the timeout passes", async () => {
    const s = await serve(fault.stall("GetUser", { ms: 5000 }));
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN }));
    const e = await rejection(client.getUser({ userId: "u-1" }, { timeoutMs: 100 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
    // Not connect-es's bare "the operation timed out": the deadline is named,
    // whichever of the transport, deadline or retry interceptor saw it first.
    expect(e.rawMessage).toMatch(
      /^deadline (exceeded after 100 ms calling user\.v1\.UserService\/GetUser|of 100ms exceeded during attempt 1)$/,
    );
  });

  it("gives a CanceledError from createClient on createTransport when the caller aborts", async () => {
    const s = await serve(fault.stall("GetUser", { ms: 5000 }));
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN }));
    const e = await rejection(client.getUser({ userId: "u-1" }, { signal: AbortSignal.timeout(50) }));
    expect(e).toBeInstanceOf(CanceledError);
  });

  it("gives an UnavailableError from a server stream that breaks after its first message", async () => {
    const s = await serve(fault.breakStream("WatchUsers", { afterMessages: 1 }));
    const client = createClient(UserService, createTransport({ baseUrl: s.url, auth: TEST_TOKEN }));
    await client.createUser({ email: "a@example.com", name: "A" });
    await client.createUser({ email: "b@example.com", name: "B" });
    const e = await rejection(
      (async () => {
        for await (const _ of client.watchUsers({ sinceSequence: 1n }));
      })(),
    );
    expect(e).toBeInstanceOf(UnavailableError);
  });

  it("gives an InvalidArgumentError with the field violations of the server's BadRequest", async () => {
    const s = await serve();
    const users = createUserClient({ baseUrl: s.url, auth: TEST_TOKEN });
    const e = await rejection(users.createUser({ email: "nobody", name: "" }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).fieldViolations.map((v) => v.field)).toEqual(["email", "name"]);
  });
});
