import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { UserService } from "../../../gen/user/v1/user_service_pb.js";
import { createTransport, type NodeTransport, UnavailableError } from "../../../src/node/index.js";
import { createMemoryUserRepository, createUserService } from "../../../src/users/server.js";
import { startTcpProxy, type TcpProxy } from "../../helpers/tcp-proxy.js";
import { eventually, type RunningServer, rejection, startServer, TEST_TOKEN } from "../../helpers/test-server.js";

describe("keepalive PINGs", () => {
  let proxy: TcpProxy | undefined;
  let running: RunningServer | undefined;
  const transports: NodeTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close({ graceMs: 0 })));
    await proxy?.close();
    await running?.server.close({ graceMs: 0 });
  });

  it("notice a peer that stopped answering, fail its stream with UNAVAILABLE, and the next call gets a new connection", async () => {
    running = await startServer();
    const { port } = new URL(running.url);
    proxy = await startTcpProxy({ target: { host: "127.0.0.1", port: Number(port) } });
    const transport = createTransport({
      baseUrl: proxy.url,
      auth: TEST_TOKEN,
      keepaliveIntervalMs: 200,
      keepaliveTimeoutMs: 300,
      retry: false,
    });
    transports.push(transport);
    const users = createClient(UserService, transport);
    const events = users.watchUsers({})[Symbol.asyncIterator]();
    const first = events.next();
    await eventually(() => running!.server.activeCalls().streams === 1, "the watch to be open");

    proxy.freeze();
    const started = performance.now();
    const error = await rejection(first);
    const noticedMs = performance.now() - started;
    console.log(`frozen peer noticed by keepalive after ${noticedMs.toFixed(0)} ms (interval 200, timeout 300)`);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(noticedMs).toBeLessThan(200 + 300 + 400);

    proxy.thaw();
    expect((await users.listUsers({})).totalSize).toBe(0);
    expect(proxy.accepted()).toBe(2);
  });

  it("are not sent on an idle connection unless keepaliveWithoutCalls is set", async () => {
    running = await startServer();
    const { port } = new URL(running.url);
    proxy = await startTcpProxy({ target: { host: "127.0.0.1", port: Number(port) } });
    const transport = createTransport({
      baseUrl: proxy.url,
      auth: TEST_TOKEN,
      keepaliveIntervalMs: 100,
      keepaliveTimeoutMs: 150,
      retry: false,
    });
    transports.push(transport);
    const users = createClient(UserService, transport);
    await users.listUsers({});
    proxy.freeze();
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.thaw();
    // The idle connection was not pinged, so it was not torn down: same connection.
    await users.listUsers({});
    expect(proxy.accepted()).toBe(1);
  });
});

describe("several connections to one endpoint", () => {
  let server: http2.Http2Server | undefined;
  const transports: NodeTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close({ graceMs: 0 })));
    await new Promise((resolve) => server?.close(resolve));
  });

  async function serverAllowingStreams(maxConcurrentStreams: number) {
    let sessions = 0;
    server = http2.createServer(
      { settings: { maxConcurrentStreams } },
      connectNodeAdapter({ routes: (router) => router.service(UserService, createUserService(createMemoryUserRepository())) }),
    );
    server.on("session", () => sessions++);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sessions: () => sessions };
  }

  async function openWatches(url: string, count: number, maxConnections: number) {
    const transport = createTransport({ baseUrl: url, maxConnections, retry: false });
    transports.push(transport);
    const users = createClient(UserService, transport);
    const stop = new AbortController();
    const watches = Array.from({ length: count }, () =>
      (async () => {
        for await (const _ of users.watchUsers({}, { signal: stop.signal })) void _;
      })().catch(() => {}),
    );
    return {
      users,
      stop: () => {
        stop.abort();
        return Promise.all(watches);
      },
    };
  }

  it("opens another connection when one is at the server's SETTINGS_MAX_CONCURRENT_STREAMS", async () => {
    const { url, sessions } = await serverAllowingStreams(2);
    const { users, stop } = await openWatches(url, 6, 4);
    await eventually(() => sessions() === 3, "three connections for six streams of two each");
    // A unary call still finds room: a fourth connection.
    await users.createUser({ email: "a@example.com", name: "A" });
    expect(sessions()).toBe(4);
    await stop();
  });

  it("opens no more than maxConnections, and queues on the least loaded one beyond that", async () => {
    const { url, sessions } = await serverAllowingStreams(2);
    const { stop } = await openWatches(url, 6, 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sessions()).toBe(2);
    await stop();
  });
});
