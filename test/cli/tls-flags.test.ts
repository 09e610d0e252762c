import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUserctl } from "../helpers/spawn-userctl.js";
import { useTlsCertificate } from "../helpers/tls-certificate.js";
import { protocolCases, type RunningServer, startServer } from "../helpers/test-server.js";
import { expectExit, jsonLines } from "./cli-test-kit.js";

describe("userctl over TLS", () => {
  const tls = useTlsCertificate();
  let s: RunningServer;
  beforeAll(async () => {
    s = await startServer(protocolCases[0], { tls: { cert: tls.cert, key: tls.key } });
  });
  afterAll(async () => {
    await s?.server.close();
  });

  it("trusts the server's certificate given with --ca, over every protocol", async () => {
    expect(s.url).toMatch(/^https:/);
    for (const protocol of ["grpc", "grpc-web", "connect"]) {
      const run = await runUserctl(["--url", s.url, "--ca", tls.certPath, "--protocol", protocol, "--json", "health"]);
      expectExit(run, 0);
      expect(jsonLines(run.stdout)).toEqual([{ status: "SERVING" }]);
    }
  });

  it("fails the call without --ca (an untrusted certificate) and refuses --ca with an http:// URL", async () => {
    const untrusted = await runUserctl(["--url", s.url, "--max-attempts", "1", "health"]);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/^error: \w+: /);
    const plain = await runUserctl(["--url", "http://127.0.0.1:1", "--ca", tls.certPath, "health"]);
    expectExit(plain, 64);
    expect(plain.stderr).toContain("need an https:// --url");
  });
});
