import { type Client, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createUserServiceServer, type UserServiceServer, type UserServiceServerOptions } from "../../src/users/server.js";

export const TEST_TOKEN = "test-token";

/** A protocol and HTTP version a client can use against the reference server. */
export interface ProtocolCase {
  name: string;
  /** Whether this protocol/HTTP version can carry bidirectional streams. */
  bidi: boolean;
  transport(baseUrl: string): Transport;
}

export const protocolCases: ProtocolCase[] = [
  { name: "gRPC over HTTP/2", bidi: true, transport: (baseUrl) => createGrpcTransport({ baseUrl }) },
  {
    name: "gRPC-Web over HTTP/1.1",
    bidi: false,
    transport: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
  },
  {
    name: "gRPC-Web over HTTP/2",
    bidi: true,
    transport: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "2" }),
  },
  {
    name: "Connect over HTTP/1.1",
    bidi: false,
    transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  },
  {
    name: "Connect over HTTP/2",
    bidi: true,
    transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2" }),
  },
];

/** A reference server on a loopback port 0, with clients for one protocol. */
export interface RunningServer {
  server: UserServiceServer;
  url: string;
  users: Client<typeof UserService>;
  health: Client<typeof Health>;
  /** Call options carrying the valid token. */
  auth: { headers: { authorization: string }; timeoutMs: number };
  logs: string[];
}

/** Starts a server; remember to `await close(running)` (afterEach) so no connection leaks. */
export async function startServer(
  protocol: ProtocolCase = protocolCases[0]!,
  options: UserServiceServerOptions = {},
): Promise<RunningServer> {
  const logs: string[] = [];
  const server = createUserServiceServer({ token: TEST_TOKEN, log: (l) => logs.push(l), graceMs: 2000, ...options });
  const { url } = await server.listen(0, "127.0.0.1");
  const transport = protocol.transport(url);
  return {
    server,
    url,
    users: createClient(UserService, transport),
    health: createClient(Health, transport),
    auth: { headers: { authorization: `Bearer ${TEST_TOKEN}` }, timeoutMs: 5000 },
    logs,
  };
}

/** Polls `check` until it holds or `timeoutMs` passes; fails with `what`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The ConnectError a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** An async iterable of the given items, for client-streaming calls. */
export async function* streamOf<T>(...items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
