import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as http2 from "node:http2";
import type * as net from "node:net";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import {
  createHealthRegistry,
  createHealthService,
  createMemoryUserRepository,
  createUserService,
} from "../../src/server/index.js";

/** Serves one HTTP/2 request. */
export type GoawayServerHandler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/** Options for {@link startGoawayServer}. */
export interface GoawayServerOptions {
  /**
   * In "graceful" mode, how many streams a session accepts before the server
   * sends GOAWAY; streams the client opened after the Nth are refused.
   * Ignored in "idle" mode. Defaults to 1.
   */
  everyStreams?: number;
  /**
   * "graceful": GOAWAY right after the session's `everyStreams`-th stream
   * starts, while streams are in flight (the server is draining).
   * "idle": GOAWAY the first time a session that has served a stream has
   * none in flight (a GOAWAY on an idle connection, as servers send when
   * they rotate connections). Defaults to "graceful".
   */
  mode?: "graceful" | "idle";
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
}

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
 */
export async function startGoawayServer(options: GoawayServerOptions = {}): Promise<GoawayServer> {
  const everyStreams = options.everyStreams ?? 1;
  if (!Number.isInteger(everyStreams) || everyStreams < 1) {
    throw new Error(`everyStreams must be a positive integer, got ${everyStreams}`);
  }
  const mode = options.mode ?? "graceful";
  if (mode !== "graceful" && mode !== "idle") throw new Error(`mode must be "graceful" or "idle", got ${mode}`);
  const host = options.host ?? "127.0.0.1";
  const handler = options.handler ?? referenceHandler();

  const sessions = new Map<http2.Http2Session, SessionState>();
  let sessionsOpened = 0;
  let goawaysSent = 0;
  let streamsServed = 0;

  function sendGoaway(session: http2.Http2Session, state: SessionState): void {
    state.lastStreamId = state.lastAccepted;
    goawaysSent++;
    // GOAWAY(NO_ERROR, last processed stream), then close once the streams end.
    session.close();
  }

  const server = http2.createServer((req, res) => {
    const { stream } = req;
    const session = stream.session;
    // A server stream always has its id by the time its request event runs.
    const id = stream.id ?? 0;
    const state = session && sessions.get(session);
    if (!session || !state) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    // nghttp2 already ignores streams above lastStreamId; this is a backstop
    // so a stream the client counts as refused never reaches the handler.
    if (state.lastStreamId !== undefined && id > state.lastStreamId) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
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
    handler(req, res);
  });
  server.on("session", (session) => {
    sessionsOpened++;
    sessions.set(session, { started: 0, inFlight: 0, lastAccepted: 0, lastStreamId: undefined });
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
