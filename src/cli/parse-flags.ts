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

/** The `-h, --help` option every command accepts. */
export const helpOption = { help: { type: "boolean", short: "h", default: false } } as const;

/**
 * Checks the positional arguments against `names`: `"ID"` is required,
 * `"SERVICE?"` optional, and a last `"ID..."` takes any number. Throws a
 * UsageError for missing, extra or empty arguments.
 */
export function positionalArgs(positionals: string[], names: string[], usage: string): string[] {
  const variadic = names[names.length - 1]?.endsWith("...") ?? false;
  const required = names.filter((n) => !n.endsWith("?") && !n.endsWith("...")).length;
  const bare = (i: number) => names[Math.min(i, names.length - 1)]!.replace(/\?$|\.\.\.$/, "");
  if (positionals.length < required) {
    throw new UsageError(`missing ${names.slice(positionals.length, required).join(" ")}`, usage);
  }
  if (!variadic && positionals.length > names.length) {
    throw new UsageError(`unexpected argument "${positionals[names.length]}"`, usage);
  }
  for (const [i, value] of positionals.entries()) {
    if (value === "") throw new UsageError(`${bare(i)} must not be empty`, usage);
  }
  return positionals;
}

/** Prints a command's usage for --help; exit status 0. */
export function help(out: (line: string) => void, usage: string): number {
  out(usage);
  return 0;
}
