import { Code, type Interceptor } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, rejection, type RunningServer, startServer } from "../helpers/test-server.js";

/** Server interceptor that holds GetUser for `ms`, to have a call in flight. */
const slowGetUser =
  (ms: number): Interceptor =>
  (next) =>
  async (req) => {
    if (req.method.name === "GetUser") await new Promise((r) => setTimeout(r, ms));
    return next(req);
  };

describe("graceful shutdown", () => {
  let s: RunningServer;
  afterEach(async () => {
    await s.server.close();
  });

  it("lets an in-flight unary call finish, refuses new calls and cancels open streams", async () => {
    s = await startServer(undefined, { interceptors: [slowGetUser(300)], graceMs: 5000 });
    const { user } = await s.users.createUser({ email: "a@example.com", name: "A" }, s.auth);
    const inFlight = s.users.getUser({ userId: user!.id }, s.auth);
    const watch = rejection(
      (async () => {
        for await (const _ of s.users.watchUsers({ sinceSequence: 0n }, s.auth)) void _;
      })(),
    );
    await eventually(() => s.server.activeCalls().unary === 1 && s.server.activeCalls().streams === 1, "calls in flight");

    const closed = s.server.close();
    // The connection got GOAWAY, so HTTP/2 refuses the new stream (REFUSED_STREAM,
    // which bare connect-node reports as INTERNAL); a new connection is refused outright.
    const refused = await rejection(s.users.listUsers({}, s.auth));
    expect(refused.code === Code.Unavailable || refused.message.includes("REFUSED_STREAM")).toBe(true);

    await expect(inFlight).resolves.toMatchObject({ user: { id: user!.id } });
    const streamError = await watch;
    expect(streamError.code).toBe(Code.Unavailable);
    expect(streamError.rawMessage).toContain("shutting down");
    await closed;
    expect(s.server.activeCalls()).toEqual({ unary: 0, streams: 0 });
  });

  it("cancels a unary call still running when the grace period ends", async () => {
    s = await startServer(undefined, { interceptors: [slowGetUser(3000)], graceMs: 100 });
    const { user } = await s.users.createUser({ email: "a@example.com", name: "A" }, s.auth);
    const inFlight = rejection(s.users.getUser({ userId: user!.id }, s.auth));
    await eventually(() => s.server.activeCalls().unary === 1, "the call in flight");
    const started = Date.now();
    await s.server.close();
    // Grace (100 ms) + a bounded wait for cancelled calls and connections, far below the 3 s handler.
    expect(Date.now() - started).toBeLessThan(2500);
    expect((await inFlight).code).toBe(Code.Unavailable);
  });
});

describe("a cancelled WatchUsers stream", () => {
  let s: RunningServer;
  afterEach(async () => {
    await s.server.close();
  });

  it("stops its server handler promptly", async () => {
    s = await startServer();
    const abort = new AbortController();
    const watching = rejection(
      (async () => {
        for await (const _ of s.users.watchUsers({}, { ...s.auth, signal: abort.signal })) void _;
      })(),
    );
    await eventually(() => s.server.activeCalls().streams === 1, "the stream to open");
    abort.abort();
    expect((await watching).code).toBe(Code.Canceled);
    await eventually(() => s.server.activeCalls().streams === 0, "the handler to stop", 1000);
    await eventually(() => s.logs.some((l) => l.includes("WatchUsers canceled")), "the log line", 1000);
  });
});
