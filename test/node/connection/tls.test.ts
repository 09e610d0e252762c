import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { createTransport, type NodeTransport, UnavailableError } from "../../../src/node/index.js";
import { createUserServiceServer, type UserServiceServer } from "../../../src/users/server.js";
import { makeSelfSignedCertificate, type TlsCertificate, useTlsCertificate } from "../../helpers/tls-certificate.js";
import { rejection } from "../../helpers/test-server.js";

// TLS and mutual TLS against the reference server, and the errors a wrong
// CA, host name or client certificate gives: UNAVAILABLE, saying what failed.

describe("TLS targets", () => {
  const server = useTlsCertificate();
  let dir = "";
  let client: TlsCertificate;
  let stranger: TlsCertificate;
  const running: UserServiceServer[] = [];
  const transports: NodeTransport[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "userctl-mtls-"));
    client = makeSelfSignedCertificate(dir, "client", "userctl-client");
    stranger = makeSelfSignedCertificate(dir, "stranger", "someone-else");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close({ graceMs: 0 })));
    await Promise.all(running.splice(0).map((s) => s.close({ graceMs: 0 })));
  });

  async function serve(clientCa?: Buffer): Promise<string> {
    const s = createUserServiceServer({
      auth: false,
      demo: false,
      tls: { cert: server.cert, key: server.key, ...(clientCa && { clientCa }) },
    });
    running.push(s);
    return (await s.listen(0, "127.0.0.1")).url;
  }

  function check(options: Parameters<typeof createTransport>[0]) {
    const transport = createTransport({ retry: false, ...options });
    transports.push(transport);
    return createClient(Health, transport).check({ service: "" });
  }

  it("calls an https:// target whose certificate chains to `ca`", async () => {
    const url = await serve();
    expect((await check({ baseUrl: url, ca: server.cert })).status).toBe(1);
  });

  it("fails with UNAVAILABLE saying certificate verification failed when the CA is wrong", async () => {
    const url = await serve();
    const error = await rejection(check({ baseUrl: url, ca: stranger.cert }));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.rawMessage).toMatch(/^cannot connect to https:\/\/127\.0\.0\.1:\d+: TLS certificate verification failed: /);
  });

  it("fails with UNAVAILABLE saying certificate verification failed when the host name does not match", async () => {
    const url = await serve();
    const error = await rejection(check({ baseUrl: url, ca: server.cert, servername: "api.example.com" }));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.rawMessage).toMatch(/TLS certificate verification failed: .*api\.example\.com/);
  });

  it("passes mutual TLS with the client certificate the server's clientCa signed", async () => {
    const url = await serve(client.cert);
    const ok = await check({ baseUrl: url, ca: server.cert, cert: client.cert, key: client.key });
    expect(ok.status).toBe(1);
  });

  it.each([
    ["without a client certificate", () => ({})],
    ["with a certificate the server does not trust", () => ({ cert: stranger.cert, key: stranger.key })],
  ])("is refused by a mutual-TLS server %s, with UNAVAILABLE naming the client certificate", async (_, extra) => {
    const url = await serve(client.cert);
    const started = performance.now();
    const error = await rejection(check({ baseUrl: url, ca: server.cert, ...extra() }));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.rawMessage).toMatch(/client certificate/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
