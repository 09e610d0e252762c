import type { Interceptor } from "@connectrpc/connect";
import { randomBytes } from "node:crypto";
import { UserService } from "../../gen/user/v1/user_service_pb.js";
import { createDemoAssets } from "./demo-assets.js";
import type { ServerTlsOptions } from "./dual-protocol-listener.js";
import type { HealthRegistry } from "./health-registry.js";
import { createMemoryUserRepository } from "./memory-user-repository.js";
import { createRpcServer } from "./rpc-server.js";
import type { ServerLogger } from "./server-logging-interceptor.js";
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

/** Creates the reference server: UserService, Health and reflection over gRPC, gRPC-Web and Connect on one port. */
export function createUserServiceServer(options: UserServiceServerOptions = {}): UserServiceServer {
  const token = options.auth === false ? undefined : (options.token ?? randomBytes(18).toString("base64url"));
  const repository = options.repository ?? createMemoryUserRepository();
  const demo = options.demo === false ? undefined : createDemoAssets(options.demo);
  const server = createRpcServer({
    routes: (router) => router.service(UserService, createUserService(repository)),
    ...(token !== undefined && { token, publicMethods: [`${UserService.typeName}/CreateUser`] }),
    ...(options.log && { log: options.log }),
    ...(options.tls && { tls: options.tls }),
    ...(options.graceMs !== undefined && { graceMs: options.graceMs }),
    ...(options.interceptors && { interceptors: options.interceptors }),
    ...(options.telemetry && { telemetry: options.telemetry }),
    ...(options.allowedOrigins && { allowedOrigins: options.allowedOrigins }),
    ...(demo && { httpHandler: demo }),
  });
  return {
    listen: (port, host) => server.listen(port, host),
    close: (closeOptions) => server.close(closeOptions),
    token,
    health: server.health,
    repository,
    activeCalls: () => server.activeCalls(),
  };
}
