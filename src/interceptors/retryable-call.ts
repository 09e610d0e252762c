import { createContextKey } from "@connectrpc/connect";

/**
 * A per-call override of the retry interceptor's method policy.
 *
 * `true` says "this particular call is safe to retry", for example a
 * CreateUser that carries a `request_id` the server deduplicates. `false` says
 * "never retry this call" (a call the server provably never saw is still
 * retried). Undefined, the default, leaves the decision to the method's
 * idempotency level and the interceptor's `retryMethods`.
 *
 * ```ts
 * await client.createUser(request, {
 *   contextValues: createContextValues().set(retryableCallKey, true),
 * });
 * ```
 */
export const retryableCallKey = createContextKey<boolean | undefined>(undefined, { description: "whether this call may be retried" });
