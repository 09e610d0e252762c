import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as http2 from "node:http2";
import type * as net from "node:net";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createHealthRegistry, createHealthService } from "../../src/server/index.js";
import { createMemoryUserRepository, createUserService } from "../../src/users/server.js";

/** Serves one HTTP/2 request. */
export type GoawayServerHandler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/** Options for {@link startGoawayServer}. */
export interface GoawayServerOptions {
  /**
   * In "graceful" mode, how many streams a session serves before the server
   * sends GOAWAY; streams the client opened after the Nth are refused. In
   * "racing" mode, how many streams the whole server serves between two
   * GOAWAYs, each to the session of the Nth stream. Ignored in the other
   * modes. Defaults to 1.
   */
  everyStreams?: number;
  /**
   * In "racing" mode, how long each stream waits between the server reading
   * its HEADERS and the handler seeing it: the streams waiting when GOAWAY
   * goes out are the ones that raced with it. Defaults to 2.
   */
  admitMs?: number;
  /**
   * "graceful": GOAWAY right after the session's `everyStreams`-th stream
   * starts, while streams are in flight (the server is draining).
   * "racing": streams reach the handler only after `admitMs`; every
   * `everyStreams` streams served by the server, the session of the last one
   * gets a GOAWAY naming it, so below the streams still waiting there, and
   * each of those is reset with REFUSED_STREAM (counted by `streamsRefused`).
   * Counting server-wide, not per session, keeps a refused stream that is
   * retried at once from being refused again, whichever connection it takes,
   * as long as `everyStreams` exceeds the client's calls in flight: gRFC A6
   * retries such a stream transparently only once.
   * "idle": GOAWAY the first time a session that has served a stream has
   * none in flight (a GOAWAY on an idle connection, as servers send when
   * they rotate connections).
   * "refuse-all": every stream is reset with REFUSED_STREAM and none is
   * served, as by a server that cannot take work and never says GOAWAY.
   * Defaults to "graceful".
   */
  mode?: "graceful" | "racing" | "idle" | "refuse-all";
  /** Loopback address to bind. Defaults to "127.0.0.1". */
  host?: string;
  /**
   * Serves the accepted streams. Defaults to the reference UserService and
   * Health (gRPC, gRPC-Web and Connect, no auth) over a fresh in-memory repository.
   */
  handler?: GoawayServerHandler;
}

/** A plaintext HTTP/2 server that ends its sessions with GOAWAY on a schedule. */
export interface GoawayServer {
  /** `http://host:port`, for a client's baseUrl. */
  readonly url: string;
  readonly port: number;
  /** Sessions the server has sent a GOAWAY to. */
  goawaysSent(): number;
  /** HTTP/2 sessions (connections) opened so far. */
  sessionsOpened(): number;
  /** Streams handed to the handler so far (refused ones are not counted). */
  streamsServed(): number;
  /**
   * Streams the server read and refused ("racing" and "refuse-all" mode):
   * reset with REFUSED_STREAM, or above the GOAWAY's lastStreamId. Streams
   * nghttp2 ignores because they came after a GOAWAY (the client refuses
   * those itself) are not counted.
   */
  streamsRefused(): number;
  /** Destroys every session at once and stops listening. */
  close(): Promise<void>;
}

/** What the server knows about one session. */
interface SessionState {
  started: number;
  inFlight: number;
  /** The highest stream id handed to the handler. */
  lastAccepted: number;
  /** The lastStreamId of the GOAWAY sent, once sent. */
  lastStreamId: number | undefined;
  /** "racing" mode: streams read but not yet served, with the timer that serves them. */
  waiting: Map<http2.ServerHttp2Stream, NodeJS.Timeout>;
}

const MODES = ["graceful", "racing", "idle", "refuse-all"];

/**
 * Starts an HTTP/2 server on port 0 that sends a graceful GOAWAY (NO_ERROR)
 * and then drains: streams up to the GOAWAY's lastStreamId finish, later ones
 * are refused (the client sees REFUSED_STREAM), and the session closes once
 * its streams are done.
 *
 * The GOAWAY comes from `session.close()`, which Node sends with lastStreamId
 * = the last stream nghttp2 has processed. Called while the Nth stream's
 * request event runs, that is the Nth stream itself, even when the client's
 * next HEADERS frames arrived in the same read: nghttp2 ignores those, and
 * the client's nghttp2 closes them with REFUSED_STREAM when the GOAWAY lands.
 * When the drained session is destroyed, Node sends a second GOAWAY with the
 * same lastStreamId, so a client may see the 'goaway' event twice.
 *
 * In "racing" mode the GOAWAY comes from `session.goaway(NO_ERROR, id)`
 * with the id of the last stream served, below the streams still waiting;
 * nghttp2 never raises a session's lastStreamId, so the `session.close()`
 * after it repeats the same id. See {@link GoawayServerOptions.mode} for the
 * other modes.
 */
export async function startGoawayServer(options: GoawayServerOptions = {}): Promise<GoawayServer> {
  const everyStreams = options.everyStreams ?? 1;
  if (!Number.isInteger(everyStreams) || everyStreams < 1) {
    throw new Error(`everyStreams must be a positive integer, got ${everyStreams}`);
  }
  const mode = options.mode ?? "graceful";
  if (!MODES.includes(mode)) throw new Error(`mode must be one of ${MODES.join(", ")}, got ${mode}`);
  const admitMs = options.admitMs ?? 2;
  if (!(admitMs >= 0)) throw new Error(`admitMs must be a non-negative number, got ${admitMs}`);
  const host = options.host ?? "127.0.0.1";
  const handler = options.handler ?? referenceHandler();

  const sessions = new Map<http2.Http2Session, SessionState>();
  let sessionsOpened = 0;
  let goawaysSent = 0;
  let streamsServed = 0;
  let streamsRefused = 0;

  function refuse(stream: http2.ServerHttp2Stream): void {
    streamsRefused++;
    if (!stream.closed && !stream.destroyed) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
  }

  function sendGoaway(session: http2.Http2Session, state: SessionState): void {
    state.lastStreamId = state.lastAccepted;
    goawaysSent++;
    if (mode === "racing") {
      // GOAWAY(NO_ERROR, last served stream): below the waiting streams, which
      // are refused. Once the first reset flushes the GOAWAY, nghttp2 closes
      // the rest itself (REFUSED_STREAM, no RST_STREAM: the client's nghttp2
      // refuses them on reading the GOAWAY); they count as refused all the same.
      session.goaway(http2.constants.NGHTTP2_NO_ERROR, state.lastAccepted);
      for (const [stream, timer] of state.waiting) {
        clearTimeout(timer);
        refuse(stream);
      }
      state.waiting.clear();
    }
    // GOAWAY(NO_ERROR, last processed stream), then close once the streams end.
    session.close();
  }

  const server = http2.createServer((req, res) => {
    const { stream } = req;
    const session = stream.session;
    const state = session && sessions.get(session);
    if (!session || !state || mode === "refuse-all") {
      refuse(stream);
      return;
    }
    if (mode !== "racing" || admitMs === 0) {
      serve(session, state, req, res);
      return;
    }
    const timer = setTimeout(() => {
      state.waiting.delete(stream);
      serve(session, state, req, res);
    }, admitMs);
    state.waiting.set(stream, timer);
    stream.once("close", () => {
      clearTimeout(timer);
      state.waiting.delete(stream);
    });
  });

  function serve(session: http2.Http2Session, state: SessionState, req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) {
    const { stream } = req;
    if (stream.closed || stream.destroyed) return;
    // A server stream always has its id by the time its request event runs.
    const id = stream.id ?? 0;
    // nghttp2 already ignores streams above lastStreamId; this is a backstop
    // so a stream the client counts as refused never reaches the handler.
    if (state.lastStreamId !== undefined && id > state.lastStreamId) {
      refuse(stream);
      return;
    }
    state.started++;
    state.inFlight++;
    state.lastAccepted = Math.max(state.lastAccepted, id);
    streamsServed++;
    stream.once("close", () => {
      state.inFlight--;
      if (mode === "idle" && state.inFlight === 0 && state.lastStreamId === undefined && !session.closed) {
        sendGoaway(session, state);
      }
    });
    if (mode === "graceful" && state.started === everyStreams) sendGoaway(session, state);
    if (mode === "racing" && streamsServed % everyStreams === 0) sendGoaway(session, state);
    handler(req, res);
  }
  server.on("session", (session) => {
    sessionsOpened++;
    sessions.set(session, { started: 0, inFlight: 0, lastAccepted: 0, lastStreamId: undefined, waiting: new Map() });
    session.on("close", () => sessions.delete(session));
    // A client dropping the connection mid-stream is part of the tests, not a failure.
    session.on("error", () => {});
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    goawaysSent: () => goawaysSent,
    sessionsOpened: () => sessionsOpened,
    streamsServed: () => streamsServed,
    streamsRefused: () => streamsRefused,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions.keys()) session.destroy();
      });
      return closing;
    },
  };
}

/** The reference services without auth, each server with its own repository. */
function referenceHandler(): GoawayServerHandler {
  const health = createHealthRegistry(["", UserService.typeName]);
  const repository = createMemoryUserRepository();
  return connectNodeAdapter({
    routes(router: ConnectRouter) {
      router.service(UserService, createUserService(repository));
      router.service(Health, createHealthService(health));
    },
  });
}
