import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { protocolCases, rejection, type RunningServer, startServer } from "../helpers/test-server.js";

describe.each(protocolCases)("health over $name", (protocol) => {
  let s: RunningServer;
  afterEach(async () => {
    await s.server.close();
  });

  it("reports the server and UserService SERVING, and an unknown service NOT_FOUND", async () => {
    s = await startServer(protocol);
    expect((await s.health.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await s.health.check({ service: "user.v1.UserService" })).status).toBe(Status.SERVING);
    const e = await rejection(s.health.check({ service: "nope.v1.Nope" }));
    expect(e.code).toBe(Code.NotFound);
  });

  it("lists every service with its status (gRFC A90)", async () => {
    s = await startServer(protocol);
    const { statuses } = await s.health.list({});
    expect(Object.fromEntries(Object.entries(statuses).map(([k, v]) => [k, v.status]))).toEqual({
      "": Status.SERVING,
      "user.v1.UserService": Status.SERVING,
    });
  });

  it("watches a service: current status at once, then NOT_SERVING when shutdown starts, then UNAVAILABLE", async () => {
    s = await startServer(protocol);
    const seen: Status[] = [];
    const e = await rejection(
      (async () => {
        for await (const r of s.health.watch({ service: "user.v1.UserService" })) {
          seen.push(r.status);
          if (seen.length === 1) void s.server.close();
        }
      })(),
    );
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
    expect(e.code).toBe(Code.Unavailable);
  });

  it("reports an unknown service as SERVICE_UNKNOWN on Watch and keeps the stream open", async () => {
    s = await startServer(protocol);
    const abort = new AbortController();
    const seen: Status[] = [];
    await rejection(
      (async () => {
        for await (const r of s.health.watch({ service: "later.v1.Later" }, { signal: abort.signal })) {
          seen.push(r.status);
          if (seen.length === 1) s.server.health.set("later.v1.Later", Status.SERVING);
          if (seen.length === 2) abort.abort();
        }
      })(),
    );
    expect(seen).toEqual([Status.SERVICE_UNKNOWN, Status.SERVING]);
  });
});
