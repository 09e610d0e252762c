import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createFailFirstInterceptor } from "../../src/server/fail-first-interceptor.js";

function setup(options: Parameters<typeof createFailFirstInterceptor>[0]) {
  const transport = createRouterTransport(
    ({ service }) => {
      service(UserService, { getUser: () => ({}), deleteUser: () => ({}) });
      service(Health, { check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
    },
    { router: { interceptors: [createFailFirstInterceptor(options)] } },
  );
  return { users: createClient(UserService, transport), health: createClient(Health, transport) };
}

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (e) {
    const error = ConnectError.from(e);
    return `${Code[error.code]}: ${error.rawMessage}`;
  }
}

describe("createFailFirstInterceptor", () => {
  it("fails the first calls of each UserService method with UNAVAILABLE, then lets them through", async () => {
    const { users } = setup({ calls: 2 });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await outcome(users.getUser({})));
    results.push(await outcome(users.deleteUser({})));
    expect(results).toEqual([
      "Unavailable: injected failure 1 of 2 for GetUser",
      "Unavailable: injected failure 2 of 2 for GetUser",
      "ok",
      "Unavailable: injected failure 1 of 2 for DeleteUser",
    ]);
  });

  it("never fails health checks", async () => {
    const { health } = setup({});
    expect(await outcome(health.check({}))).toBe("ok");
  });

  it("fails nothing with 0 calls and rejects a negative count", async () => {
    expect(await outcome(setup({ calls: 0 }).users.getUser({}))).toBe("ok");
    expect(() => createFailFirstInterceptor({ calls: -1 })).toThrow("invalid option calls: must be an integer >= 0, got -1");
  });

  it("fails only the methods listed in methods", async () => {
    const { users } = setup({ methods: ["GetUser"] });
    expect(await outcome(users.deleteUser({ userId: "u" }))).toBe("ok");
    expect(await outcome(users.getUser({ userId: "u" }))).toBe("Unavailable: injected failure 1 of 1 for GetUser");
    expect(await outcome(users.getUser({ userId: "u" }))).toBe("ok");
  });
});
