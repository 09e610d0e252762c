import type { DescFile, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { setMaxListeners } from "node:events";
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createAmbientContextServerInterceptor } from "../node/ambient-context.js";
import { createCallTracker } from "./call-tracker.js";
import { createCorsPolicy } from "./cors-policy.js";
import { createDualProtocolListener, type ServerTlsOptions } from "./dual-protocol-listener.js";
import { createHealthRegistry, type HealthRegistry } from "./health-registry.js";
import { createHealthService } from "./health-service.js";
import { createReflectionIndex } from "./reflection-index.js";
import { createReflectionService, createReflectionServiceV1Alpha } from "./reflection-service.js";
import { createServerAuthInterceptor } from "./server-auth-interceptor.js";
import { createServerLoggingInterceptor, type ServerLogger } from "./server-logging-interceptor.js";
import { createUnimplementedFallback } from "./unimplemented-fallback.js";

/** A plain HTTP handler run before the RPC routes: returns true when it answered the request. */
export type HttpHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => boolean;

/** Options for {@link createRpcServer}. */
export interface RpcServerOptions {
  /**
   * Registers your services, as for connect-node's adapter:
   * `(router) => router.service(GreetService, impl)`. Defaults to none (the
   * server then has health and reflection only).
   */
  routes?: (router: ConnectRouter) => void;
  /**
   * Serve gRPC server reflection (grpc.reflection.v1 and v1alpha) for every
   * registered service, so grpcurl, buf curl and `userctl call` need no
   * .proto files. Reflection is callable without a token. Defaults to true.
   */
  reflection?: boolean;
  /**
   * More files reflection offers besides those of the services, e.g. ones
   * declaring extensions clients may need. Defaults to none.
   */
  reflectionFiles?: DescFile[];
  /**
   * Bearer token every method needs except `publicMethods`, health and
   * reflection (UNAUTHENTICATED otherwise). Defaults to none: no auth.
   */
  token?: string;
  /** Methods callable without the token: `package.Service/Method` or a whole `package.Service`. Defaults to none. */
  publicMethods?: string[];
  /** Receives one line per call. Defaults to none. */
  log?: ServerLogger;
  /** PEM certificate and key for TLS (ALPN h2 and http/1.1), with `clientCa` for mutual TLS. Defaults to plaintext. */
  tls?: ServerTlsOptions;
  /** How long shutdown waits for in-flight unary calls before cancelling the rest. Defaults to 10 seconds. */
  graceMs?: number;
  /** More server interceptors, run inside auth and logging, right around the handlers. Defaults to none. */
  interceptors?: Interceptor[];
  /** The server telemetry interceptor ("userctl-rpc/telemetry"); runs outermost. Defaults to none. */
  telemetry?: Interceptor;
  /**
   * Origins whose pages may call the server from a browser (CORS), or ["*"].
   * Defaults to the server's own origin plus any origin on localhost,
   * 127.0.0.0/8 or [::1].
   */
  allowedOrigins?: readonly string[];
  /** Serves non-RPC requests (e.g. a web app) before the RPC routes. Defaults to none. */
  httpHandler?: HttpHandler;
}

/** A running (or ready to run) server. */
export interface RpcServer {
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
  /** The health of "" (the whole server) and of each registered service, all SERVING at start. */
  readonly health: HealthRegistry;
  /** The fully-qualified names of every service served, health and reflection included, sorted. */
  readonly services: readonly string[];
  /** Calls in flight right now. */
  activeCalls(): { unary: number; streams: number };
}

const REFLECTION_SERVICES = [ServerReflection.typeName, ServerReflectionV1Alpha.typeName];

/**
 * Creates a server for any Connect service: gRPC, gRPC-Web and Connect on one
 * port (HTTP/2 with prior knowledge or ALPN, and HTTP/1.1), with CORS, health
 * (grpc.health.v1, every registered service SERVING), server reflection,
 * optional bearer-token auth and per-call logging, UNIMPLEMENTED for unknown
 * methods in each protocol's own form, and graceful shutdown.
 *
 * @example
 * const server = createRpcServer({ routes: (r) => r.service(GreetService, { greet: (req) => ({ greeting: `hi ${req.name}` }) }) });
 * const { url } = await server.listen(50051);
 */
export function createRpcServer(options: RpcServerOptions = {}): RpcServer {
  const graceMs = options.graceMs ?? 10_000;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new Error(`graceMs must be >= 0, got ${graceMs}`);
  if (options.token === "") throw new Error("token must not be empty");
  const reflection = options.reflection ?? true;
  const token = options.token;
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
  if (token !== undefined) {
    const publicMethods = [...(options.publicMethods ?? []), Health.typeName, ...REFLECTION_SERVICES];
    interceptors.push(createServerAuthInterceptor({ token, publicMethods }));
  }
  interceptors.push(...(options.interceptors ?? []));

  // The registered services are known once the routes ran, inside the adapter.
  let services: DescService[] = [];
  let health: HealthRegistry = createHealthRegistry([""]);
  const handler = connectNodeAdapter({
    routes(router: ConnectRouter) {
      options.routes?.(router);
      const own = uniqueServices(router.handlers.map((h) => h.service));
      health = createHealthRegistry(["", ...own.map((s) => s.typeName)]);
      if (!own.some((s) => s.typeName === Health.typeName)) router.service(Health, createHealthService(health));
      if (reflection) {
        const all = uniqueServices([...own, Health, ServerReflection, ServerReflectionV1Alpha]);
        const index = createReflectionIndex(all, options.reflectionFiles);
        router.service(ServerReflection, createReflectionService(index));
        router.service(ServerReflectionV1Alpha, createReflectionServiceV1Alpha(index));
      }
      services = uniqueServices(router.handlers.map((h) => h.service));
    },
    interceptors,
    shutdownSignal: shutdown.signal,
    fallback: createUnimplementedFallback(() => serviceNames),
  });
  const serviceNames: ReadonlySet<string> = new Set(services.map((s) => s.typeName));
  const cors = createCorsPolicy(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {});
  const httpHandler = options.httpHandler ?? (() => false);
  const listener = createDualProtocolListener(
    (req, res) => cors(req, res) || httpHandler(req, res) || handler(req, res),
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
    services: [...serviceNames].sort(),
    activeCalls: () => tracker.active(),
  };
}

function uniqueServices(services: DescService[]): DescService[] {
  const byName = new Map<string, DescService>();
  for (const s of services) if (!byName.has(s.typeName)) byName.set(s.typeName, s);
  return [...byName.values()];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
