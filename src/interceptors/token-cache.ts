import { Code, ConnectError } from "@connectrpc/connect";

/** Where an auth token comes from: a fixed string, or a function that fetches one. */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * A token and the generation it belongs to. A call remembers the generation it
 * sent, so that calls rejected with the same stale token share one refresh.
 */
export interface CachedToken {
  readonly token: string;
  readonly generation: number;
}

/**
 * Caches the token of a {@link TokenSource}. A token is kept until a call
 * reports it stale with {@link TokenCache.refresh}; it never expires on its own.
 */
export interface TokenCache {
  /** The cached token, fetching it first if none is cached; concurrent callers share one fetch. */
  get(): Promise<CachedToken>;
  /**
   * A token newer than `stale`: fetches one unless a newer one is cached or
   * already being fetched, so every call that saw `stale` shares one fetch.
   */
  refresh(stale: CachedToken): Promise<CachedToken>;
  /**
   * Drops `stale` if it is still the cached token, so that the next call
   * fetches a fresh one; for calls that cannot be replayed.
   */
  invalidate(stale: CachedToken): void;
  /** The cached token if one is ready now, without a promise: the call path's fast case. */
  peek(): CachedToken | undefined;
  /** False for a fixed string, which a refresh cannot change. */
  readonly refreshable: boolean;
}

/**
 * The cache state. `fetching` holds the one in-flight provider call that all
 * callers share; a failed fetch returns to `empty` so the next call tries again.
 */
type TokenState =
  | { readonly kind: "empty" }
  | { readonly kind: "fetching"; readonly promise: Promise<CachedToken> }
  | { readonly kind: "ready"; readonly cached: CachedToken };

// Characters that `Headers.set` rejects with an error message quoting the
// whole value, which would put the token into an error message.
const invalidHeaderValue = /[\0\r\n]/;

/** Creates a {@link TokenCache} for the given source. */
export function createTokenCache(source: TokenSource): TokenCache {
  if (typeof source === "string") {
    const cached: CachedToken = { token: checkToken(source), generation: 1 };
    return {
      get: () => Promise.resolve(cached),
      refresh: () => Promise.resolve(cached),
      invalidate: () => {},
      peek: () => cached,
      refreshable: false,
    };
  }
  const provider = source;
  let state: TokenState = { kind: "empty" };
  let generation = 0;

  function fetchToken(): Promise<CachedToken> {
    const promise = (async () => {
      let token: unknown;
      try {
        token = await provider();
      } catch (e) {
        throw providerError(e);
      }
      return { token: checkToken(token), generation: ++generation };
    })().then(
      (cached) => {
        state = { kind: "ready", cached };
        return cached;
      },
      (e: unknown) => {
        state = { kind: "empty" };
        throw e;
      },
    );
    state = { kind: "fetching", promise };
    return promise;
  }

  return {
    get() {
      switch (state.kind) {
        case "ready":
          return Promise.resolve(state.cached);
        case "fetching":
          return state.promise;
        case "empty":
          return fetchToken();
      }
    },
    refresh(stale) {
      switch (state.kind) {
        case "ready":
          return state.cached.generation > stale.generation ? Promise.resolve(state.cached) : fetchToken();
        case "fetching":
          return state.promise;
        case "empty":
          return fetchToken();
      }
    },
    invalidate(stale) {
      if (state.kind === "ready" && state.cached.generation === stale.generation) {
        state = { kind: "empty" };
      }
    },
    peek: () => (state.kind === "ready" ? state.cached : undefined),
    refreshable: true,
  };
}

// Names what went wrong, never the token itself.
function checkToken(token: unknown): string {
  if (typeof token !== "string") {
    throw new ConnectError(`auth token provider returned ${token === null ? "null" : typeof token}, not a string`, Code.Unauthenticated);
  }
  if (token.trim() === "") {
    throw new ConnectError("auth token provider returned an empty token", Code.Unauthenticated);
  }
  if (invalidHeaderValue.test(token)) {
    throw new ConnectError("auth token contains characters not allowed in a header value (NUL, CR or LF)", Code.Unauthenticated);
  }
  return token;
}

function providerError(cause: unknown): ConnectError {
  const reason = cause instanceof ConnectError ? cause.rawMessage : cause instanceof Error ? cause.message : String(cause);
  return new ConnectError(`auth token provider failed: ${reason}`, Code.Unauthenticated, undefined, undefined, cause);
}
