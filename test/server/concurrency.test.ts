import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { protocolCases, type RunningServer, startServer } from "../helpers/test-server.js";

describe.each(protocolCases.filter((p) => p.name.includes("HTTP/2")))("concurrent creates over $name", (protocol) => {
  let s: RunningServer;
  afterEach(async () => {
    await s.server.close();
  });

  it("make exactly one user for one email", async () => {
    s = await startServer(protocol);
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) => s.users.createUser({ email: "same@example.com", name: `N${i}` }, s.auth)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(ConnectError.from(r.reason).code).toBe(Code.AlreadyExists);
    }
    expect((await s.users.listUsers({}, s.auth)).totalSize).toBe(1);
  });

  it("make exactly one user for one request_id, and every call returns it", async () => {
    s = await startServer(protocol);
    const results = await Promise.all(
      Array.from({ length: 25 }, () => s.users.createUser({ email: "r@example.com", name: "R", requestId: "once" }, s.auth)),
    );
    expect(new Set(results.map((r) => r.user?.id)).size).toBe(1);
    expect((await s.users.listUsers({}, s.auth)).totalSize).toBe(1);
  });
});
