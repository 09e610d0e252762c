/** Options every client method accepts. */
export interface UserCallOptions {
  /** Aborting it cancels the call (Canceled); during a retry backoff too. */
  signal?: AbortSignal;
  /** Deadline for the whole call, all retry attempts included. Defaults to the transport's per-method default. */
  timeoutMs?: number;
  /** Extra request headers for this call. */
  headers?: HeadersInit;
}
