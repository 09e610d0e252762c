import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUserctl } from "../helpers/spawn-userctl.js";
import { protocolCases, type RunningServer, startServer } from "../helpers/test-server.js";
import { expectExit, jsonLines } from "./cli-test-kit.js";

describe("userctl over TLS", () => {
  let dir: string;
  let s: RunningServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "userctl-cli-tls-"));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    s = await startServer(protocolCases[0], {
      tls: { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) },
    });
  });
  afterAll(async () => {
    await s?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("trusts the server's certificate given with --ca, over every protocol", async () => {
    expect(s.url).toMatch(/^https:/);
    for (const protocol of ["grpc", "grpc-web", "connect"]) {
      const run = await runUserctl(["--url", s.url, "--ca", join(dir, "cert.pem"), "--protocol", protocol, "--json", "health"]);
      expectExit(run, 0);
      expect(jsonLines(run.stdout)).toEqual([{ status: "SERVING" }]);
    }
  });

  it("fails the call without --ca (an untrusted certificate) and refuses --ca with an http:// URL", async () => {
    const untrusted = await runUserctl(["--url", s.url, "--max-attempts", "1", "health"]);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/^error: \w+: /);
    const plain = await runUserctl(["--url", "http://127.0.0.1:1", "--ca", join(dir, "cert.pem"), "health"]);
    expectExit(plain, 64);
    expect(plain.stderr).toContain("need an https:// --url");
  });
});
