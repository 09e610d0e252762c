import * as http2 from "node:http2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GoawayServer, type GoawayServerOptions, startGoawayServer } from "../helpers/goaway-server.js";
import { countOpenHandles, type OpenHandles, waitForNoLeakedHandles } from "../helpers/open-handles.js";
import { eventually } from "../helpers/test-server.js";

type Outcome = { id: number; status: number; body: string } | { id: number; error: NodeJS.ErrnoException; rstCode: number };

/** A Connect-protocol unary Health/Check over a raw HTTP/2 session; never rejects. */
function checkHealth(session: http2.ClientHttp2Session): Promise<Outcome> {
  return new Promise((resolve) => {
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
    stream.on("end", () => resolve({ id: stream.id ?? 0, status, body }));
    stream.on("error", (error) => resolve({ id: stream.id ?? 0, error, rstCode: stream.rstCode ?? 0 }));
    stream.end("{}");
  });
}

/** Resolves with the first GOAWAY the session receives, or undefined after `ms`. */
function nextGoaway(session: http2.ClientHttp2Session, ms = 2000): Promise<{ code: number; lastStreamId: number } | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    session.once("goaway", (code, lastStreamId) => {
      clearTimeout(timer);
      resolve({ code, lastStreamId });
    });
  });
}

describe("startGoawayServer", () => {
  let before: OpenHandles;
  let server: GoawayServer | undefined;
  const sessions: http2.ClientHttp2Session[] = [];

  async function start(options: GoawayServerOptions): Promise<GoawayServer> {
    server = await startGoawayServer(options);
    return server;
  }

  function connect(url: string): http2.ClientHttp2Session {
    const session = http2.connect(url);
    session.on("error", () => {});
    sessions.push(session);
    return session;
  }

  beforeEach(() => {
    before = countOpenHandles();
  });

  afterEach(async () => {
    for (const session of sessions.splice(0)) session.destroy();
    await server?.close();
    server = undefined;
    await waitForNoLeakedHandles(before);
  });

  it("serves the reference Health service", async () => {
    const { url } = await start({ everyStreams: 10 });
    const res = await checkHealth(connect(url));
    expect(res).toMatchObject({ status: 200 });
    expect(JSON.parse((res as { body: string }).body)).toEqual({ status: "SERVING" });
  });

  it("sends a graceful GOAWAY naming the Nth stream as the last one, then closes the session", async () => {
    const server = await start({ everyStreams: 2 });
    const session = connect(server.url);
    const goaway = nextGoaway(session);
    const closed = new Promise((resolve) => session.once("close", resolve));
    expect(await checkHealth(session)).toMatchObject({ id: 1, status: 200 });
    expect(server.goawaysSent()).toBe(0);
    expect(await checkHealth(session)).toMatchObject({ id: 3, status: 200 });

    expect(await goaway).toEqual({ code: http2.constants.NGHTTP2_NO_ERROR, lastStreamId: 3 });
    await closed;
    expect(server.goawaysSent()).toBe(1);
    expect(server.streamsServed()).toBe(2);
  });

  it("refuses streams opened concurrently past the GOAWAY while the accepted ones complete", async () => {
    const server = await start({ everyStreams: 5 });
    const session = connect(server.url);
    const goaway = nextGoaway(session);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => checkHealth(session)));

    expect(await goaway).toEqual({ code: http2.constants.NGHTTP2_NO_ERROR, lastStreamId: 9 });
    const served = outcomes.filter((o) => "status" in o);
    const refused = outcomes.filter((o) => "error" in o);
    expect(served.map((o) => o.id).sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9]);
    expect(served.every((o) => o.status === 200)).toBe(true);
    expect(refused).toHaveLength(15);
    for (const o of refused) {
      expect(o.id).toBeGreaterThan(9);
      expect(o.error.code).toBe("ERR_HTTP2_STREAM_ERROR");
      expect(o.rstCode).toBe(http2.constants.NGHTTP2_REFUSED_STREAM);
    }
    expect(server.streamsServed()).toBe(5);
    expect(server.goawaysSent()).toBe(1);
  });

  it("in racing mode, names the last served stream in GOAWAY and resets the streams still waiting with REFUSED_STREAM", async () => {
    const server = await start({ mode: "racing", everyStreams: 5, admitMs: 20 });
    const session = connect(server.url);
    const goaways: { code: number; lastStreamId: number }[] = [];
    session.on("goaway", (code, lastStreamId) => goaways.push({ code, lastStreamId }));
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => checkHealth(session)));

    const served = outcomes.filter((o) => "status" in o);
    const refused = outcomes.filter((o) => "error" in o);
    expect(served.map((o) => o.id).sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9]);
    expect(refused).toHaveLength(15);
    for (const o of refused) {
      expect(o.id).toBeGreaterThan(9);
      expect(o.error.code).toBe("ERR_HTTP2_STREAM_ERROR");
      expect(o.rstCode).toBe(http2.constants.NGHTTP2_REFUSED_STREAM);
    }
    await eventually(() => goaways.length > 0, "a GOAWAY");
    // The close() after the explicit GOAWAY may repeat it, never with a higher id.
    for (const goaway of goaways) expect(goaway).toEqual({ code: http2.constants.NGHTTP2_NO_ERROR, lastStreamId: 9 });
    // Every stream the client sent reached the server: the waiting ones were refused by it, not by the client.
    expect(server.streamsRefused()).toBe(15);
    expect(server.streamsServed()).toBe(5);
    expect(server.goawaysSent()).toBe(1);
  });

  it("in racing mode, counts served streams over the whole server, so the next GOAWAY spares a new session's first streams", async () => {
    const server = await start({ mode: "racing", everyStreams: 3, admitMs: 5 });
    const first = connect(server.url);
    const refusedFirst = (await Promise.all(Array.from({ length: 5 }, () => checkHealth(first)))).filter((o) => "error" in o);
    expect(refusedFirst).toHaveLength(2);
    // Two streams on a new session: the server has served 3, so the GOAWAY comes with the 6th.
    const second = connect(server.url);
    const outcomes = await Promise.all([checkHealth(second), checkHealth(second)]);
    expect(outcomes.every((o) => "status" in o && o.status === 200)).toBe(true);
    expect(server.goawaysSent()).toBe(1);
    expect(server.streamsRefused()).toBe(2);
  });

  it("in refuse-all mode, resets every stream with REFUSED_STREAM and serves none", async () => {
    const server = await start({ mode: "refuse-all" });
    const session = connect(server.url);
    const outcomes = await Promise.all([checkHealth(session), checkHealth(session)]);
    for (const o of outcomes) expect(o).toMatchObject({ rstCode: http2.constants.NGHTTP2_REFUSED_STREAM });
    expect(server.streamsRefused()).toBe(2);
    expect(server.streamsServed()).toBe(0);
    expect(server.goawaysSent()).toBe(0);
  });

  it("serves a new session after the previous one went away", async () => {
    const server = await start({ everyStreams: 1 });
    const first = connect(server.url);
    const closed = new Promise((resolve) => first.once("close", resolve));
    expect(await checkHealth(first)).toMatchObject({ status: 200 });
    await closed;
    expect(await checkHealth(connect(server.url))).toMatchObject({ status: 200 });
    expect(server.sessionsOpened()).toBe(2);
    expect(server.goawaysSent()).toBe(2);
  });

  it("in idle mode, sends GOAWAY only once the session has no stream in flight", async () => {
    const log: string[] = [];
    const server = await start({
      mode: "idle",
      handler: (req, res) => {
        // The first stream answers fast, the second slowly: GOAWAY must wait for both.
        const delayMs = req.stream.id === 1 ? 10 : 200;
        setTimeout(() => res.end("ok"), delayMs);
      },
    });
    const session = connect(server.url);
    // once: Node follows the GOAWAY with an identical one when it destroys the drained session.
    session.once("goaway", () => log.push("goaway"));
    const responses = [1, 2].map(
      (n) =>
        new Promise<void>((resolve) => {
          const stream = session.request({ ":path": "/" });
          stream.resume();
          stream.on("end", () => {
            log.push(`response ${n}`);
            resolve();
          });
          stream.end();
        }),
    );
    await Promise.all(responses);
    await eventually(() => server.goawaysSent() === 1 && log.includes("goaway"), "a GOAWAY on the idle session");
    expect(log).toEqual(["response 1", "response 2", "goaway"]);
  });

  it("in idle mode, sends GOAWAY right after a lone stream completes", async () => {
    const server = await start({ mode: "idle" });
    const session = connect(server.url);
    const goaway = nextGoaway(session);
    const closed = new Promise((resolve) => session.once("close", resolve));
    expect(await checkHealth(session)).toMatchObject({ status: 200 });
    expect(await goaway).toEqual({ code: http2.constants.NGHTTP2_NO_ERROR, lastStreamId: 1 });
    await closed;
  });

  it("destroys sessions with streams still open on close", async () => {
    let started = 0;
    const server = await start({ everyStreams: 100, handler: () => started++ });
    const session = connect(server.url);
    const stream = session.request({ ":path": "/" });
    stream.on("error", () => {});
    const closed = new Promise((resolve) => session.once("close", resolve));
    await eventually(() => started === 1, "the stream to reach the handler");
    await server.close();
    await closed;
  });

  it("rejects an everyStreams that is not a positive integer", async () => {
    await expect(startGoawayServer({ everyStreams: 0 })).rejects.toThrow(/everyStreams must be a positive integer/);
  });

  it("rejects an unknown mode", async () => {
    await expect(startGoawayServer({ mode: "rude" as "idle" })).rejects.toThrow(/mode must be one of/);
  });
});
