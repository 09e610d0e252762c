import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The codes the default retry policy retries: the server was unavailable,
 * out of a quota that refills, or aborted the call in a conflict a second try
 * may win. Shared by the retry interceptor and by the `retryable` flag of the
 * typed errors, so both agree on what "retryable" means.
 */
export const DEFAULT_RETRYABLE_CODES: readonly Code[] = Object.freeze([Code.Unavailable, Code.ResourceExhausted, Code.Aborted]);

/**
 * Returns `value` as a frozen list of codes, or DEFAULT_RETRYABLE_CODES when
 * it is undefined. Rejects anything that is not an array of Connect codes,
 * naming the option, because a typo here silently changes what is retried.
 */
export function validateRetryableCodes(value: readonly Code[] | undefined): readonly Code[] {
  if (value === undefined) return DEFAULT_RETRYABLE_CODES;
  if (!Array.isArray(value)) {
    throw new ConnectError("invalid retryableCodes: expected an array of codes", Code.InvalidArgument);
  }
  for (const code of value) {
    if (!isCode(code)) {
      throw new ConnectError(`invalid retryableCodes: ${String(code)} is not a Connect code`, Code.InvalidArgument);
    }
  }
  return value === DEFAULT_RETRYABLE_CODES ? value : Object.freeze([...value]);
}

/** Whether `value` is one of the 16 codes of the Connect `Code` enum. */
export function isCode(value: unknown): value is Code {
  return typeof value === "number" && Number.isInteger(value) && value >= Code.Canceled && value <= Code.Unauthenticated;
}
