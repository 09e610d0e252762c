import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import * as http2 from "node:http2";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createRpcServer, type HttpHandler, type RpcServer } from "../../src/server/index.js";
import { createMemoryUserRepository, createUserService, type UserRepository } from "../../src/users/server.js";
import { createSeededRandom } from "../run/seeded-random.js";

/** The header naming the soak call an attempt belongs to (every attempt of a call carries the same one). */
export const SOAK_CALL_HEADER = "x-soak-call";

/** A fault that breaks the whole connection it lands on, armed by the peer's schedule and fired by the next request. */
export type ArmedFault = "goaway-graceful" | "goaway-error" | "drop-after-create";

/** Options for {@link createSoakServer}. */
export interface SoakServerOptions {
  /** Bearer token every UserService call needs. Required. */
  token: string;
  /** Seed of the per-attempt fault choices. Required. */
  seed: number;
  /** Share of attempts reset with REFUSED_STREAM before the handler runs. Defaults to 0.02. */
  refuseRate?: number;
  /** Share of attempts held for 50-400 ms before the handler runs. Defaults to 0.015. */
  stallRate?: number;
  /** Share of attempts held for `longStallMs` instead: past the client's deadline. Defaults to 0.002. */
  longStallRate?: number;
  /** How long a long stall holds an attempt. Defaults to 3000. */
  longStallMs?: number;
  /** Called on every UserService request before any fault is chosen: the peer's fault schedule counts them. */
  onRequest: () => void;
  /** Resets the client side of the connection whose upstream port is given (a drop after the server did the work). */
  dropConnection: (upstreamPort: number) => void;
}

/** What the server saw and did; see {@link SoakServer.stats}. */
export interface SoakServerStats {
  /** Attempts reset with REFUSED_STREAM. */
  refused: number;
  /** Short stalls and long (past-deadline) stalls. */
  stalls: number;
  longStalls: number;
  /** Armed faults fired, by kind. */
  fired: Record<ArmedFault, number>;
  /** Calls (by soak call id) that some server-side fault hit, on any attempt. */
  faultedCalls: string[];
  /** Calls with a long stall: they are meant to end DEADLINE_EXCEEDED. */
  longStalledCalls: string[];
  /** CreateUser handler runs, and users actually created (a run may return an earlier user by request_id). */
  createRuns: number;
  usersCreated: number;
  /** Emails of creates without a request_id whose handler ran more than once: non-idempotent calls sent twice. */
  rawCreatesRunTwice: string[];
  /** The sequence of the newest event (every created user appends one). */
  lastSequence: number;
}

/** The reference server with server-side faults that need HTTP/2 (REFUSED_STREAM, GOAWAY, a drop after a create ran). */
export interface SoakServer {
  readonly server: RpcServer;
  /** Arms a connection-wide fault: the next UserService request (the next finished create, for a drop) fires it. */
  arm(fault: ArmedFault): void;
  stats(): SoakServerStats;
}

/**
 * The same services as `userctl serve` (createRpcServer with the
 * UserService over a memory repository, token auth) plus two fault hooks:
 * an HTTP handler that sees each request's HTTP/2 stream before the RPC
 * routes (to refuse it or GOAWAY its session), and an interceptor right
 * around the handlers (to stall an attempt, or drop the connection after a
 * create ran). Attempts are tied to soak calls by {@link SOAK_CALL_HEADER};
 * the attempts of one call never overlap, so "the stream of call N" is the
 * one of its current attempt.
 */
export function createSoakServer(options: SoakServerOptions): SoakServer {
  const random = createSeededRandom(options.seed);
  const refuseRate = options.refuseRate ?? 0.02;
  const stallRate = options.stallRate ?? 0.015;
  const longStallRate = options.longStallRate ?? 0.002;
  const longStallMs = options.longStallMs ?? 3000;
  const armed: ArmedFault[] = [];
  const streams = new Map<string, http2.ServerHttp2Stream>();
  const faultedCalls = new Set<string>();
  const longStalledCalls = new Set<string>();
  const fired: Record<ArmedFault, number> = { "goaway-graceful": 0, "goaway-error": 0, "drop-after-create": 0 };
  let refused = 0;
  let stalls = 0;
  let longStalls = 0;

  const counted = countCreates(createMemoryUserRepository());
  const userPath = `/${UserService.typeName}/`;

  const httpHandler: HttpHandler = (req) => {
    if (!("stream" in req) || !req.url.startsWith(userPath)) return false;
    options.onRequest();
    const call = headerOf(req.headers[SOAK_CALL_HEADER]);
    const stream = req.stream;
    if (call !== undefined) streams.set(call, stream);
    const goaway = armed.findIndex((f) => f !== "drop-after-create");
    if (goaway >= 0) {
      const [fault] = armed.splice(goaway, 1) as ["goaway-graceful" | "goaway-error"];
      fired[fault]++;
      if (call !== undefined) faultedCalls.add(call);
      const session = stream.session!;
      if (fault === "goaway-graceful") {
        // GOAWAY(NO_ERROR) naming this stream: it and the ones before it finish, the connection drains.
        session.close();
        return false;
      }
      // GOAWAY(INTERNAL_ERROR) naming the streams before this one, then the connection is gone:
      // this stream was never processed, the older ones in flight die mid-call.
      session.goaway(http2.constants.NGHTTP2_INTERNAL_ERROR, Math.max(0, (stream.id ?? 1) - 2));
      setImmediate(() => session.destroy());
      return true;
    }
    if (random() < refuseRate) {
      refused++;
      if (call !== undefined) faultedCalls.add(call);
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return true;
    }
    return false;
  };

  const faults: Interceptor = (next) => async (req) => {
    const call = req.header.get(SOAK_CALL_HEADER) ?? undefined;
    const roll = random();
    if (roll < longStallRate) {
      longStalls++;
      if (call !== undefined) {
        faultedCalls.add(call);
        longStalledCalls.add(call);
      }
      await sleep(longStallMs, req.signal);
    } else if (roll < longStallRate + stallRate) {
      stalls++;
      if (call !== undefined) faultedCalls.add(call);
      await sleep(50 + Math.floor(random() * 350), req.signal);
    }
    const res = await next(req);
    if (req.method.name === "CreateUser" && call !== undefined) {
      const drop = armed.indexOf("drop-after-create");
      const stream = streams.get(call);
      if (drop >= 0 && stream?.session?.socket) {
        armed.splice(drop, 1);
        fired["drop-after-create"]++;
        faultedCalls.add(call);
        // The user is stored; the response is never written: the connection dies first.
        options.dropConnection(stream.session.socket.remotePort ?? 0);
      }
    }
    if (call !== undefined && streams.get(call)?.closed !== false) streams.delete(call);
    return res;
  };

  const server = createRpcServer({
    routes: (router) => router.service(UserService, createUserService(counted.repository)),
    token: options.token,
    interceptors: [faults],
    httpHandler,
    graceMs: 1000,
  });

  return {
    server,
    arm: (fault) => void armed.push(fault),
    stats: () => ({
      refused,
      stalls,
      longStalls,
      fired: { ...fired },
      faultedCalls: [...faultedCalls],
      longStalledCalls: [...longStalledCalls],
      createRuns: counted.runs(),
      usersCreated: counted.created(),
      rawCreatesRunTwice: counted.rawRunTwice(),
      lastSequence: counted.created(),
    }),
  };
}

/**
 * Wraps a repository to count CreateUser runs: how many created a user, and
 * which creates without a request_id (nothing makes those safe to repeat) ran twice.
 */
function countCreates(inner: UserRepository) {
  let runs = 0;
  const emails = new Set<string>();
  const rawRuns = new Map<string, number>();
  const repository: UserRepository = {
    ...inner,
    async create(input, requestId) {
      runs++;
      if (requestId === "") rawRuns.set(input.email, (rawRuns.get(input.email) ?? 0) + 1);
      const user = await inner.create(input, requestId);
      emails.add(user.email);
      return user;
    },
  };
  return {
    repository,
    runs: () => runs,
    created: () => emails.size,
    rawRunTwice: () => [...rawRuns].filter(([, n]) => n > 1).map(([email]) => email),
  };
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason, Code.Canceled));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
