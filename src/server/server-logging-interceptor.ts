import { ConnectError, type Interceptor, type StreamResponse, type UnaryResponse } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { onStreamEnd } from "../transport/on-stream-end.js";

/** Receives one line per call. */
export type ServerLogger = (line: string) => void;

/**
 * Logs one line per call once it ends: protocol, method, status code and
 * duration. Only these facts are logged, never headers or bodies, so the
 * token and passwords cannot leak into logs.
 */
export function createServerLoggingInterceptor(log: ServerLogger): Interceptor {
  return (next) => async (req) => {
    const start = performance.now();
    const protocol = protocolOf(req.header.get("content-type"));
    const method = `${req.service.typeName}/${req.method.name}`;
    const done = (error?: unknown) => {
      const code = error === undefined ? "ok" : codeToString(ConnectError.from(error).code);
      const ms = (performance.now() - start).toFixed(1);
      log(`${protocol} ${method} ${code} ${ms}ms`);
    };
    let res: UnaryResponse | StreamResponse;
    try {
      res = await next(req);
    } catch (e) {
      done(e);
      throw e;
    }
    if (!res.stream) {
      done();
      return res;
    }
    return onStreamEnd(res, done);
  };
}

function protocolOf(contentType: string | null): string {
  if (contentType?.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType?.startsWith("application/grpc")) return "grpc";
  return "connect";
}
