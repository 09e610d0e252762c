import * as http2 from "node:http2";
import * as net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countOpenHandles, type OpenHandles, waitForNoLeakedHandles } from "../helpers/open-handles.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { eventually, type RunningServer, startServer } from "../helpers/test-server.js";

/** A Connect-protocol unary Health/Check over a raw HTTP/2 session. */
function checkHealth(session: http2.ClientHttp2Session): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": "/grpc.health.v1.Health/Check",
      "content-type": "application/json",
    });
    let status = 0;
    let body = "";
    stream.setEncoding("utf8");
    stream.on("response", (headers) => (status = Number(headers[":status"])));
    stream.on("data", (chunk: string) => (body += chunk));
    stream.on("end", () => resolve({ status, body }));
    stream.on("error", reject);
    stream.end("{}");
  });
}

/** Resolves with the round trip time, or "unanswered" if no PING ACK comes within `ms`. */
function ping(session: http2.ClientHttp2Session, ms: number): Promise<number | "unanswered"> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve("unanswered"), ms);
    session.ping((err, duration) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(duration);
    });
  });
}

function connect(url: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url);
  session.on("error", () => {});
  return new Promise((resolve) => session.once("remoteSettings", () => resolve(session)));
}

describe("startTcpProxy", () => {
  let before: OpenHandles;
  let target: RunningServer;
  let proxy: TcpProxy;
  const sessions: http2.ClientHttp2Session[] = [];

  beforeEach(async () => {
    before = countOpenHandles();
    target = await startServer();
    proxy = await startTcpProxy({ target: { host: "127.0.0.1", port: Number(new URL(target.url).port) } });
  });

  afterEach(async () => {
    for (const session of sessions.splice(0)) session.destroy();
    await proxy.close();
    await target.server.close({ graceMs: 0 });
    await waitForNoLeakedHandles(before);
  });

  it("forwards an HTTP/2 call to the target", async () => {
    const session = await connect(proxy.url);
    sessions.push(session);
    const res = await checkHealth(session);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: "SERVING" });
    expect(proxy.accepted()).toBe(1);
    expect(proxy.connections()).toBe(1);
  });

  it("leaves a PING unanswered while frozen and delivers it on thaw", async () => {
    const session = await connect(proxy.url);
    sessions.push(session);
    expect(await ping(session, 1000)).toEqual(expect.any(Number));

    proxy.freeze();
    const late = ping(session, 2000);
    const frozen = await ping(session, 300);
    expect(frozen).toBe("unanswered");
    expect(session.closed || session.destroyed).toBe(false);
    expect(proxy.connections()).toBe(1);

    proxy.thaw();
    expect(await late).toEqual(expect.any(Number));
    expect(await checkHealth(session)).toMatchObject({ status: 200 });
  });

  it("freezes connections accepted while frozen", async () => {
    proxy.freeze();
    const session = http2.connect(proxy.url);
    sessions.push(session);
    session.on("error", () => {});
    let settings = false;
    session.on("remoteSettings", () => (settings = true));
    await eventually(() => proxy.accepted() === 1, "the connection to be accepted");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settings).toBe(false);

    proxy.thaw();
    await eventually(() => settings, "SETTINGS after thaw");
  });

  it("closes the client's session on cutAll", async () => {
    const session = await connect(proxy.url);
    sessions.push(session);
    const closed = new Promise((resolve) => session.once("close", resolve));
    proxy.cutAll();
    await closed;
    expect(proxy.connections()).toBe(0);
    expect(proxy.accepted()).toBe(1);
  });

  it("resets the client's socket on cutAll with reset", async () => {
    const socket = net.connect(proxy.port, "127.0.0.1");
    const error = new Promise<NodeJS.ErrnoException>((resolve) => socket.once("error", resolve));
    await eventually(() => proxy.connections() === 1, "the connection to be accepted");
    proxy.cutAll({ reset: true });
    expect((await error).code).toBe("ECONNRESET");
  });

  it("counts open connections apart from accepted ones", async () => {
    const a = await connect(proxy.url);
    const b = await connect(proxy.url);
    sessions.push(a, b);
    expect(proxy.connections()).toBe(2);
    a.destroy();
    await eventually(() => proxy.connections() === 1, "the first connection to close");
    expect(proxy.accepted()).toBe(2);
  });

  it("resets one link and leaves the others open", async () => {
    const a = net.connect(proxy.port, "127.0.0.1");
    const error = new Promise<NodeJS.ErrnoException>((resolve) => a.once("error", resolve));
    await eventually(() => proxy.links().length === 1, "the first connection to be accepted");
    const b = await connect(proxy.url);
    sessions.push(b);
    const link = proxy.links().find((l) => l.clientPort === a.localPort)!;
    expect(link.upstreamPort).toBeGreaterThan(0);
    link.reset();
    expect((await error).code).toBe("ECONNRESET");
    expect((await checkHealth(b)).status).toBe(200);
    expect(proxy.links()).toHaveLength(1);
  });

  it("ends one link with a FIN", async () => {
    const socket = net.connect(proxy.port, "127.0.0.1");
    const ended = new Promise<"end">((resolve) => socket.once("end", () => resolve("end")));
    socket.on("error", () => {});
    await eventually(() => proxy.links().length === 1, "the connection to be accepted");
    proxy.links()[0]!.finish();
    expect(await ended).toBe("end");
    socket.destroy();
  });

  it("holds one link's bytes for a delay and then delivers them", async () => {
    const session = await connect(proxy.url);
    sessions.push(session);
    const started = performance.now();
    proxy.links()[0]!.delay(300);
    expect((await checkHealth(session)).status).toBe(200);
    // Timers may fire a millisecond early; the bytes must not have come before the delay.
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
  });
});
