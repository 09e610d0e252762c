import type { Interceptor } from "@connectrpc/connect";

/** Sends `headers` on every call; a header the call sets itself wins. */
export function createCallHeadersInterceptor(headers: HeadersInit): Interceptor {
  const defaults = [...new Headers(headers)];
  return (next) => (req) => {
    for (const [name, value] of defaults) if (!req.header.has(name)) req.header.set(name, value);
    return next(req);
  };
}
