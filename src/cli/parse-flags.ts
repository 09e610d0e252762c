import { UsageError } from "./usage-error.js";

/**
 * Runs a strict `parseArgs` call for one command: unknown flags, missing
 * values and stray arguments become a UsageError carrying the command's usage.
 */
export function withUsage<R>(usage: string, parse: () => R): R {
  try {
    return parse();
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), usage);
  }
}

/** Reads an integer flag within bounds, or throws a UsageError naming the flag. */
export function intFlag(
  value: string | undefined,
  flag: string,
  usage: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = bounds;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`, usage);
  }
  return n;
}
