import { readFileSync } from "node:fs";
import { createUserServiceServer, type UserServiceServer, type UserServiceServerOptions } from "../server/user-service-server.js";
import { parseArgs } from "node:util";
import type { Interceptor } from "@connectrpc/connect";
import { createFailFirstInterceptor } from "../server/fail-first-interceptor.js";
import { intFlag, withUsage } from "./parse-flags.js";
import { startServerTracing } from "./trace-flag.js";
import { UsageError } from "./usage-error.js";

export const serveUsage = `usage: userctl serve [--host H] [--port P] [--token T | --no-auth] [--cert F --key F [--client-ca F]] [--grace-ms MS]
                    [--allow-origin ORIGIN]... [--no-demo] [--trace] [--fail-first N]

Starts the reference UserService server (with health and server reflection, which
need no token): gRPC, gRPC-Web and Connect on one port,
over HTTP/2 and HTTP/1.1. Runs until SIGINT or SIGTERM, then shuts down gracefully.

  --host H       address to bind (default 127.0.0.1)
  --port P       port to bind, 0 for any free port (default 50051)
  --token T      bearer token protected calls need (default: a random token, printed)
  --no-auth      accept calls without a token (not for shared machines)
  --cert F       PEM certificate file: serve TLS (with --key)
  --key F        PEM private key file
  --client-ca F  require client certificates signed by this PEM CA (mutual TLS)
  --grace-ms MS  how long shutdown waits for in-flight calls (default 10000)
  --allow-origin ORIGIN
                 let pages from ORIGIN (e.g. https://app.example.com, or *) call
                 the server from a browser; repeatable (default: the server's
                 own origin and any origin on localhost, 127.0.0.0/8 or [::1])
  --no-demo      do not serve the demo web app at /
  --trace        print one line per call's server span to stderr (trace id, parent
                 span id, status, duration), matching the trees of 'userctl --trace';
                 needs @opentelemetry/api installed
  --fail-first N fault injection, for demos of retries: the first N calls of each
                 UserService method fail with UNAVAILABLE ("injected failure 1 of N
                 for GetUser"), later calls go through; health is never failed
  -h, --help     show this help`;

/** `userctl serve`: runs the reference server in the foreground. */
export async function serveCommand(args: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { values } = withUsage(serveUsage, () =>
    parseArgs({
      args,
      strict: true,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "50051" },
        token: { type: "string" },
        "no-auth": { type: "boolean", default: false },
        cert: { type: "string" },
        key: { type: "string" },
        "client-ca": { type: "string" },
        "grace-ms": { type: "string" },
        "allow-origin": { type: "string", multiple: true },
        "no-demo": { type: "boolean", default: false },
        trace: { type: "boolean", default: false },
        "fail-first": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }),
  );
  if (values.help) {
    io.out(serveUsage);
    return 0;
  }
  const port = intFlag(values.port, "--port", serveUsage, { min: 0, max: 65535 }) ?? 50051;
  const graceMs = intFlag(values["grace-ms"], "--grace-ms", serveUsage, { min: 0 });
  const failFirst = intFlag(values["fail-first"], "--fail-first", serveUsage, { min: 0 });
  if (values.token !== undefined && values["no-auth"]) {
    throw new UsageError("--token and --no-auth exclude each other", serveUsage);
  }
  if (values.token === "") throw new UsageError("--token must not be empty", serveUsage);
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("--cert and --key go together", serveUsage);
  }
  if (values["client-ca"] !== undefined && values.cert === undefined) {
    throw new UsageError("--client-ca needs --cert and --key (mutual TLS is TLS)", serveUsage);
  }
  const tls =
    values.cert !== undefined && values.key !== undefined
      ? {
          cert: readPem(values.cert, "--cert"),
          key: readPem(values.key, "--key"),
          ...(values["client-ca"] !== undefined && { clientCa: readPem(values["client-ca"], "--client-ca") }),
        }
      : undefined;

  const allowedOrigins = values["allow-origin"];
  const telemetry: Interceptor | undefined = values.trace ? await startServerTracing(io, serveUsage) : undefined;
  const server = createServerOrUsageError({
    ...(telemetry !== undefined && { telemetry }),
    ...(failFirst !== undefined && failFirst > 0 && { interceptors: [createFailFirstInterceptor({ calls: failFirst })] }),
    auth: !values["no-auth"],
    ...(allowedOrigins !== undefined && { allowedOrigins }),
    ...(values["no-demo"] && { demo: false }),
    ...(values.token !== undefined && { token: values.token }),
    ...(tls && { tls }),
    ...(graceMs !== undefined && { graceMs }),
    log: (line) => io.err(line),
  });
  // Listen for signals before announcing readiness, so an early signal is not lost.
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  const { url } = await server.listen(port, values.host);
  io.out(`userctl serve: listening on ${url}`);
  io.out(`  protocols: gRPC, gRPC-Web and Connect on one port (HTTP/2${tls ? " via ALPN" : " prior knowledge"} and HTTP/1.1)`);
  io.out(`  services:  user.v1.UserService, grpc.health.v1.Health, grpc.reflection.v1 and v1alpha ServerReflection`);
  if (failFirst !== undefined && failFirst > 0) {
    io.err(`warning: --fail-first ${failFirst}: the first ${failFirst} call(s) of each UserService method fail with unavailable`);
  }
  if (server.token === undefined) {
    io.err("warning: --no-auth: every call is accepted without a token");
  } else {
    io.out(`  token:     ${server.token}`);
    io.out(`  try:       npx userctl-rpc --url ${url} --token ${server.token} list`);
  }
  if (!values["no-demo"]) {
    // The token rides in the fragment, which the browser keeps to itself.
    io.out(`  demo page: ${url}/${server.token === undefined ? "" : `#token=${encodeURIComponent(server.token)}`}`);
  }

  const signal = await stop;
  io.err(`userctl serve: ${signal} received, shutting down (health NOT_SERVING, draining calls)`);
  await server.close();
  io.err("userctl serve: stopped");
  return 0;
}

/** The server's option checks (e.g. a malformed --allow-origin) are usage errors here. */
function createServerOrUsageError(options: UserServiceServerOptions): UserServiceServer {
  try {
    return createUserServiceServer(options);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^allowedOrigins/, "--allow-origin"), serveUsage);
  }
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`, serveUsage);
  }
}
