import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { type RunningServer, startServer, TEST_TOKEN } from "../helpers/test-server.js";
import { useTlsCertificate } from "../helpers/tls-certificate.js";

const auth = { headers: { authorization: `Bearer ${TEST_TOKEN}` } };

describe("one port for every protocol", () => {
  let s: RunningServer;
  afterEach(async () => {
    await s.server.close();
  });

  it("answers a plain HTTP/1.1 Connect JSON request, as a browser or curl sends it", async () => {
    s = await startServer();
    const res = await fetch(`${s.url}/user.v1.UserService/CreateUser`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "curl@example.com", name: "Curl" }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: { email: string; status: string } };
    expect(body.user).toMatchObject({ email: "curl@example.com", status: "USER_STATUS_ACTIVE" });
  });

  it("answers a Connect GET-less error over HTTP/1.1 with the Connect error JSON", async () => {
    s = await startServer();
    const res = await fetch(`${s.url}/user.v1.UserService/GetUser`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth.headers },
      body: JSON.stringify({ userId: "nope" }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: "not_found", message: "user nope not found" });
  });

  it("survives connections that send garbage, half a preface, or nothing", async () => {
    s = await startServer();
    const port = Number(new URL(s.url).port);
    for (const bytes of ["GARBAGE\r\n\r\n", "PRI * HTTP/2.0\r\n", ""]) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.end(bytes);
        });
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
        socket.resume();
      });
    }
    const users = createClient(UserService, createGrpcTransport({ baseUrl: s.url }));
    await expect(users.listUsers({}, auth)).resolves.toBeDefined();
  });
});

describe("TLS with ALPN", () => {
  const tls = useTlsCertificate();
  let s: RunningServer | undefined;
  afterEach(async () => {
    await s?.server.close();
  });

  it("serves gRPC over h2 and gRPC-Web and Connect over http/1.1 on one TLS port", async () => {
    const { cert, key } = tls;
    s = await startServer(undefined, { tls: { cert, key } });
    expect(s.url).toMatch(/^https:/);
    const nodeOptions = { ca: cert };
    const transports = [
      createGrpcTransport({ baseUrl: s.url, nodeOptions }),
      createGrpcWebTransport({ baseUrl: s.url, httpVersion: "1.1", nodeOptions }),
      createConnectTransport({ baseUrl: s.url, httpVersion: "1.1", nodeOptions }),
    ];
    for (const [i, transport] of transports.entries()) {
      const users = createClient(UserService, transport);
      const { user } = await users.createUser({ email: `tls${i}@example.com`, name: "T" });
      expect((await users.getUser({ userId: user!.id }, auth)).user?.email).toBe(`tls${i}@example.com`);
    }
    expect(s.logs.map((l) => l.split(" ")[0])).toEqual(["grpc", "grpc", "grpc-web", "grpc-web", "connect", "connect"]);
  });
});
