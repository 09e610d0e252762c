import { Code, ConnectError, type Interceptor, type StreamRequest, type StreamResponse, type UnaryRequest } from "@connectrpc/connect";
import { type CachedToken, createTokenCache, type TokenCache, type TokenSource } from "./token-cache.js";

/** Options for {@link createAuthInterceptor}. */
export interface AuthInterceptorOptions {
  /**
   * The token, or a function that returns one (or a promise of one). A
   * function is called once for any number of concurrent calls, and its token
   * is cached until a call fails with `Unauthenticated`. Required.
   */
  token: TokenSource;
  /** Request header that carries the token (lower case). Defaults to "authorization". */
  headerName?: string;
  /** Scheme written before the token; "" sends the bare token. Defaults to "Bearer". */
  scheme?: string;
  /**
   * Send the token over plain `http://` to hosts other than loopback
   * (127.0.0.0/8, ::1, localhost). Defaults to false.
   */
  allowInsecure?: boolean;
}

/** The auth options with every default applied. */
export interface ResolvedAuthOptions {
  readonly cache: TokenCache;
  readonly headerName: string;
  readonly scheme: string;
  readonly allowInsecure: boolean;
}

const headerNamePattern = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const schemePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/;
const loopbackHost = [
  /^localhost$/,
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/,
  /^\[::1\]$/,
  // IPv4-mapped 127.0.0.0/8, as the URL parser normalizes it.
  /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/,
];

/**
 * Creates an interceptor that sends `authorization: Bearer <token>` with
 * every call.
 *
 * Tokens: a provider function is called once for all concurrent calls and its
 * token is cached until a call fails with `Unauthenticated`; then the provider
 * is asked for a fresh token once, shared by every call that failed with the
 * same token. A provider that throws fails the calls with `Unauthenticated`.
 * No error this interceptor raises contains the token.
 *
 * Replay: after a refresh, unary and server-streaming calls are sent once
 * more with the fresh token (a server stream only if it failed before its
 * first response message); client-streaming and bidi calls cannot be replayed
 * and get the error. A second `Unauthenticated` goes to the caller, and so
 * does any `Unauthenticated` when the token is a fixed string.
 *
 * Transport security: the token is never sent over plain `http://` to a host
 * that is not loopback, unless `allowInsecure` is true; such calls fail with
 * `FailedPrecondition` (the client's configuration is wrong, not the token)
 * before the token is fetched.
 *
 * Place it last in the array (innermost), inside the deadline and retry
 * interceptors, so that the deadline covers token fetches and every attempt
 * sends the current token.
 */
export function createAuthInterceptor(options: AuthInterceptorOptions): Interceptor {
  const opt = validateAuthOptions(options);
  return (next) => async (req) => {
    if (!opt.allowInsecure) assertSecureUrl(req.url, opt.headerName);
    const first = await untilAborted(opt.cache.get(), req.signal);
    const mayReplay = (e: unknown) => opt.cache.refreshable && !req.signal.aborted && isUnauthenticated(e);
    const refresh = () => untilAborted(opt.cache.refresh(first), req.signal);
    // Sends one attempt; an Unauthenticated answer marks its token stale, so
    // that later calls fetch a fresh one even when this one is not replayed.
    const send = async <R extends UnaryRequest | StreamRequest>(attempt: R, cached: CachedToken) => {
      const staleOn = (e: unknown) => {
        if (isUnauthenticated(e)) opt.cache.invalidate(cached);
      };
      try {
        const res = await next(withToken(attempt, cached, opt));
        return res.stream ? { ...res, message: onError(res.message, staleOn) } : res;
      } catch (e) {
        staleOn(e);
        throw e;
      }
    };

    if (!req.stream) {
      try {
        return await send(req, first);
      } catch (e) {
        if (!mayReplay(e)) throw e;
        return await send(req, await refresh());
      }
    }
    if (req.method.methodKind !== "server_streaming") {
      return await send(req, first);
    }
    // Buffer the single request message so that a replay can send it again.
    const input = await readAll(req.message);
    const attempt = async (cached: CachedToken) => (await send({ ...req, message: iterate(input) }, cached)) as StreamResponse;
    let res: StreamResponse;
    try {
      res = await attempt(first);
    } catch (e) {
      if (!mayReplay(e)) throw e;
      return await attempt(await refresh());
    }
    return replayBeforeFirstMessage(res, async () => attempt(await refresh()), mayReplay);
  };
}

export function isUnauthenticated(e: unknown): boolean {
  return e instanceof ConnectError && e.code === Code.Unauthenticated;
}

// Lets `observe` see the error a stream fails with.
function onError<T>(iterable: AsyncIterable<T>, observe: (e: unknown) => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = iterable[Symbol.asyncIterator]();
      return {
        next: () =>
          it.next().catch((e: unknown) => {
            observe(e);
            throw e;
          }),
        return: async (value?: unknown) => (await it.return?.(value)) ?? { done: true, value: undefined },
      };
    },
  };
}

// Serves `res`; if it fails before its first message and `mayReplay` agrees,
// serves a replayed response instead, once. The replay's headers and trailers
// are copied into `res` so the caller sees the call that succeeded.
function replayBeforeFirstMessage(
  res: StreamResponse,
  replay: () => Promise<StreamResponse>,
  mayReplay: (e: unknown) => boolean,
): StreamResponse {
  const message: AsyncIterable<unknown> = {
    [Symbol.asyncIterator]() {
      let it = res.message[Symbol.asyncIterator]();
      let replacement: StreamResponse | undefined;
      let received = false;
      const next = async (): Promise<IteratorResult<unknown>> => {
        try {
          const result = await it.next();
          if (result.done !== true) received = true;
          else if (replacement !== undefined) copyHeaders(replacement.trailer, res.trailer);
          return result;
        } catch (e) {
          if (received || replacement !== undefined || !mayReplay(e)) throw e;
          replacement = await replay();
          copyHeaders(replacement.header, res.header);
          it = replacement.message[Symbol.asyncIterator]();
          return next();
        }
      };
      return {
        next,
        return: async (value?: unknown) => (await it.return?.(value)) ?? { done: true, value: undefined },
      };
    },
  };
  return { ...res, message } as StreamResponse;
}

function withToken<R extends UnaryRequest | StreamRequest>(req: R, cached: CachedToken, opt: ResolvedAuthOptions): R {
  // A copy per attempt: interceptors outside this one never see the token.
  const header = new Headers(req.header);
  header.set(opt.headerName, opt.scheme === "" ? cached.token : `${opt.scheme} ${cached.token}`);
  return { ...req, header };
}

/** Throws FailedPrecondition unless `url` is https or loopback: a token never travels in clear text. */
export function assertSecureUrl(url: string, headerName: string): void {
  let parsed: URL;
  try {
    // Relative URLs (a browser transport with baseUrl "/api") are relative to the page.
    parsed = new URL(url, (globalThis as { location?: { href?: string } }).location?.href);
  } catch {
    throw new ConnectError(
      `refusing to send the ${headerName} header: cannot tell whether ${url} is secure; use an absolute https url, or set allowInsecure: true`,
      Code.FailedPrecondition,
    );
  }
  if (parsed.protocol === "https:") return;
  if (loopbackHost.some((pattern) => pattern.test(parsed.hostname))) return;
  throw new ConnectError(
    `refusing to send the ${headerName} header over plain ${parsed.protocol.replace(":", "")} to ${parsed.host}: use https, or set allowInsecure: true to allow it`,
    Code.FailedPrecondition,
  );
}

// A provider that hangs must not outlive the call's deadline or cancellation.
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    return Promise.reject(ConnectError.from(signal.reason, Code.Canceled));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(ConnectError.from(signal.reason, Code.Canceled));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function readAll<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of iterable) all.push(item);
  return all;
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

function copyHeaders(from: Headers, to: Headers): void {
  if (from === to) return;
  for (const key of [...to.keys()]) to.delete(key);
  from.forEach((value, key) => {
    to.append(key, value);
  });
}

/** Applies the defaults and rejects bad values with an InvalidArgument error naming the option. */
export function validateAuthOptions(options: AuthInterceptorOptions): ResolvedAuthOptions {
  const { token, headerName = "authorization", scheme = "Bearer", allowInsecure = false } = options;
  if (typeof token === "string") {
    if (token.trim() === "" || /[\0\r\n]/.test(token)) {
      throw new ConnectError("invalid option token: must be a non-empty string without NUL, CR or LF, or a function", Code.InvalidArgument);
    }
  } else if (typeof token !== "function") {
    throw new ConnectError("invalid option token: must be a string or a function returning one", Code.InvalidArgument);
  }
  if (typeof headerName !== "string" || !headerNamePattern.test(headerName)) {
    throw new ConnectError(`invalid option headerName: "${String(headerName)}" is not a lower-case header name`, Code.InvalidArgument);
  }
  if (typeof scheme !== "string" || !schemePattern.test(scheme)) {
    throw new ConnectError(`invalid option scheme: "${String(scheme)}" must be a single word such as "Bearer"`, Code.InvalidArgument);
  }
  if (typeof allowInsecure !== "boolean") {
    throw new ConnectError("invalid option allowInsecure: must be a boolean", Code.InvalidArgument);
  }
  return { cache: createTokenCache(token), headerName, scheme, allowInsecure };
}
