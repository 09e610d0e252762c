import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createAmbientContextServerInterceptor } from "../node/ambient-context.js";
import { createCallTracker } from "./call-tracker.js";
import { createCorsPolicy } from "./cors-policy.js";
import { createDemoAssets } from "./demo-assets.js";
import { createDualProtocolListener, type ServerTlsOptions } from "./dual-protocol-listener.js";
import { createHealthRegistry, type HealthRegistry } from "./health-registry.js";
import { createHealthService } from "./health-service.js";
import { createMemoryUserRepository } from "./memory-user-repository.js";
import { createServerAuthInterceptor } from "./server-auth-interceptor.js";
import { createServerLoggingInterceptor, type ServerLogger } from "./server-logging-interceptor.js";
import type { UserRepository } from "./user-repository.js";
import { createUserService } from "./user-service.js";

/** Options for {@link createUserServiceServer}. */
export interface UserServiceServerOptions {
  /** Bearer token protected methods require. Defaults to a random token (see `server.token`). */
  token?: string;
  /** Whether to require the token at all. Defaults to true. */
  auth?: boolean;
  /** Where users are stored. Defaults to a fresh in-memory repository. */
  repository?: UserRepository;
  /** Receives one line per call. Defaults to none (the CLI logs to stderr). */
  log?: ServerLogger;
  /**
   * PEM certificate and key for TLS (ALPN h2 and http/1.1), and with
   * `clientCa` mutual TLS: clients must present a certificate it signed.
   * Defaults to plaintext.
   */
  tls?: ServerTlsOptions;
  /** How long shutdown waits for in-flight unary calls before cancelling the rest. Defaults to 10 seconds. */
  graceMs?: number;
  /**
   * More server interceptors, run inside auth and logging, right around the
   * handlers (e.g. to inject faults in tests). Defaults to none.
   */
  interceptors?: Interceptor[];
  /**
   * Tracing and metrics: the interceptor `createServerTelemetryInterceptor()`
   * from "userctl-rpc/telemetry" returns. It runs outermost, so its span covers
   * every call, refused ones included, and continues the client's trace from
   * `traceparent`. Defaults to none.
   */
  telemetry?: Interceptor;
  /**
   * Origins whose pages may call the server from a browser (CORS), or ["*"].
   * Defaults to the server's own origin plus any origin on localhost,
   * 127.0.0.0/8 or [::1].
   */
  allowedOrigins?: readonly string[];
  /**
   * Directory of the demo web app served at `/`, or false for none. Defaults
   * to this package's `dist/demo`, which `npm run build` writes.
   */
  demo?: string | false;
}

/** A running (or ready to run) reference UserService server. */
export interface UserServiceServer {
  /** Binds `host:port` (port 0 picks a free one) and resolves with the URL. Defaults: 127.0.0.1, 0. */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /**
   * Graceful shutdown: health goes NOT_SERVING, new calls are refused,
   * in-flight unary calls get `graceMs` to finish, then open streams are
   * cancelled with UNAVAILABLE and every connection is closed.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /** The token protected calls need, or undefined when auth is off. */
  readonly token: string | undefined;
  readonly health: HealthRegistry;
  readonly repository: UserRepository;
  /** Calls in flight right now. */
  activeCalls(): { unary: number; streams: number };
}

/** Creates the reference server: UserService and Health over gRPC, gRPC-Web and Connect on one port. */
export function createUserServiceServer(options: UserServiceServerOptions = {}): UserServiceServer {
  const graceMs = options.graceMs ?? 10_000;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new Error(`graceMs must be >= 0, got ${graceMs}`);
  const token = options.auth === false ? undefined : (options.token ?? randomBytes(18).toString("base64url"));
  const repository = options.repository ?? createMemoryUserRepository();
  const health = createHealthRegistry(["", UserService.typeName]);
  const tracker = createCallTracker();
  const shutdown = new AbortController();
  // connect-node adds one listener per call in flight to the shutdown signal.
  setMaxListeners(0, shutdown.signal);

  const interceptors: Interceptor[] = [];
  if (options.telemetry) interceptors.push(options.telemetry);
  interceptors.push(tracker.interceptor);
  if (options.log) interceptors.push(createServerLoggingInterceptor(options.log));
  // Handlers run inside the call's deadline and correlation id, so calls they
  // make with createTransport inherit both without passing them by hand.
  interceptors.push(createAmbientContextServerInterceptor());
  if (token !== undefined) interceptors.push(createServerAuthInterceptor({ token }));
  interceptors.push(...(options.interceptors ?? []));

  const handler = connectNodeAdapter({
    routes(router: ConnectRouter) {
      router.service(UserService, createUserService(repository));
      router.service(Health, createHealthService(health));
    },
    interceptors,
    shutdownSignal: shutdown.signal,
  });
  const cors = createCorsPolicy(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {});
  const demo = options.demo === false ? () => false : createDemoAssets(options.demo);
  const listener = createDualProtocolListener(
    (req, res) => cors(req, res) || demo(req, res) || handler(req, res),
    options.tls ? { tls: options.tls } : {},
  );

  let closing: Promise<void> | undefined;
  return {
    async listen(port = 0, host = "127.0.0.1") {
      const bound = await listener.listen(port, host);
      const scheme = options.tls ? "https" : "http";
      const h = host.includes(":") ? `[${host}]` : host;
      return { port: bound, url: `${scheme}://${h}:${bound}` };
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        const grace = closeOptions.graceMs ?? graceMs;
        health.shutdown();
        tracker.refuseNewCalls();
        listener.stopAccepting();
        await tracker.unaryDrained(grace);
        shutdown.abort(new ConnectError("server is shutting down", Code.Unavailable));
        // Give cancelled streams a moment to send their final status (HTTP/2
        // sessions close by themselves once their streams end), then cut the rest.
        await tracker.allDrained(500);
        listener.closeIdle();
        await Promise.race([listener.closed(), delay(1000)]);
        listener.destroyAll();
        await listener.closed();
      })();
      return closing;
    },
    token,
    health,
    repository,
    activeCalls: () => tracker.active(),
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
