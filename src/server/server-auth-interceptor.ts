import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { timingSafeEqual } from "node:crypto";

/** Options for {@link createServerAuthInterceptor}. */
export interface ServerAuthInterceptorOptions {
  /** The bearer token every protected call must carry. */
  token: string;
  /**
   * Methods callable without a token, as `package.Service/Method` or a whole
   * `package.Service`. Defaults to CreateUser and the health service.
   */
  publicMethods?: string[];
}

const DEFAULT_PUBLIC_METHODS = ["user.v1.UserService/CreateUser", "grpc.health.v1.Health"];

/**
 * Checks `authorization: Bearer <token>` on every call except the public
 * ones; anything else is UNAUTHENTICATED "invalid token". The comparison is
 * constant-time so the token cannot be guessed byte by byte.
 */
export function createServerAuthInterceptor(options: ServerAuthInterceptorOptions): Interceptor {
  const expected = Buffer.from(`Bearer ${options.token}`);
  const publicMethods = new Set(options.publicMethods ?? DEFAULT_PUBLIC_METHODS);
  return (next) => async (req) => {
    const service = req.service.typeName;
    if (publicMethods.has(service) || publicMethods.has(`${service}/${req.method.name}`)) {
      return next(req);
    }
    const given = Buffer.from(req.header.get("authorization") ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ConnectError("invalid token", Code.Unauthenticated);
    }
    return next(req);
  };
}
