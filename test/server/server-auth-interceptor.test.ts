import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { protocolCases, rejection, type RunningServer, startServer } from "../helpers/test-server.js";

describe("server auth", () => {
  let s: RunningServer;
  afterEach(async () => {
    await s.server.close();
  });

  it("lets CreateUser and the health service through without a token", async () => {
    s = await startServer();
    await expect(s.users.createUser({ email: "a@example.com", name: "A" })).resolves.toBeDefined();
    await expect(s.health.check({ service: "" })).resolves.toBeDefined();
  });

  it.each([
    ["no authorization header", {}],
    ["a wrong token", { authorization: "Bearer wrong" }],
    ["the token without the Bearer scheme", { authorization: "test-token" }],
    ["a token that is a prefix of the right one", { authorization: "Bearer test-tok" }],
  ])("refuses a protected call with %s as UNAUTHENTICATED invalid token", async (_, headers) => {
    s = await startServer();
    const e = await rejection(s.users.listUsers({}, { headers }));
    expect(e.code).toBe(Code.Unauthenticated);
    expect(e.rawMessage).toBe("invalid token");
  });

  it.each(protocolCases)("refuses a streaming call without a token over $name", async (protocol) => {
    s = await startServer(protocol);
    const e = await rejection(
      (async () => {
        for await (const _ of s.users.watchUsers({})) void _;
      })(),
    );
    expect(e.code).toBe(Code.Unauthenticated);
  });

  it("never writes the token or a password into its log lines", async () => {
    s = await startServer();
    await s.users.createUser({ email: "a@example.com", name: "A", password: "s3cret-pass" }, s.auth);
    await s.users.listUsers({}, s.auth);
    await rejection(s.users.listUsers({}, { headers: { authorization: "Bearer test-token-wrong" } }));
    expect(s.logs).toHaveLength(3);
    expect(s.logs[0]).toMatch(/^grpc user\.v1\.UserService\/CreateUser ok \d+\.\dms$/);
    expect(s.logs[2]).toContain("unauthenticated");
    for (const line of s.logs) {
      expect(line).not.toContain("test-token");
      expect(line).not.toContain("s3cret-pass");
    }
  });

  it("accepts every call when auth is off", async () => {
    s = await startServer(undefined, { auth: false });
    expect(s.server.token).toBeUndefined();
    await expect(s.users.listUsers({})).resolves.toBeDefined();
  });

  it("makes up a random token when none is given", async () => {
    s = await startServer(undefined, { token: undefined as unknown as string });
    const other = await startServer(undefined, { token: undefined as unknown as string });
    try {
      expect(s.server.token).toMatch(/^[\w-]{20,}$/);
      expect(s.server.token).not.toBe(other.server.token);
      await expect(s.users.listUsers({}, { headers: { authorization: `Bearer ${s.server.token}` } })).resolves.toBeDefined();
    } finally {
      await other.server.close();
    }
  });
});
