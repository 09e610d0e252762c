import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Protocol } from "../transport/transport-options.js";
import { usage } from "./main-usage.js";
import { intFlag, withUsage } from "./parse-flags.js";
import { UsageError } from "./usage-error.js";

/** The global flags, resolved against the environment and checked. */
export interface GlobalFlags {
  url: string;
  protocol: Protocol;
  token: string | undefined;
  /** The deadline of each call (all retry attempts included). */
  timeoutMs: number | undefined;
  maxAttempts: number | undefined;
  json: boolean;
  headers: [string, string][];
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Checked but not applied yet: a later change implements connect timeouts. */
  connectTimeoutMs: number | undefined;
  /** Print the trace tree of the command's calls to stderr when it ends. */
  trace: boolean;
}

/** The command line split at the command: global flags, then the command and its arguments. */
export interface SplitArgs {
  globals: GlobalFlags;
  help: boolean;
  command: string | undefined;
  args: string[];
}

/** Where userctl calls without --url or $USERCTL_URL: the port `userctl serve` binds by default. */
export const DEFAULT_URL = "http://127.0.0.1:50051";
const protocols: readonly Protocol[] = ["grpc", "grpc-web", "connect"];

const options = {
  url: { type: "string" },
  protocol: { type: "string" },
  token: { type: "string" },
  timeout: { type: "string" },
  "max-attempts": { type: "string" },
  json: { type: "boolean", default: false },
  header: { type: "string", short: "H", multiple: true },
  ca: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  "connect-timeout": { type: "string" },
  trace: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * Reads the global flags, which come before the command: everything up to
 * the first argument that is neither a flag nor a flag's value. Throws a
 * UsageError for unknown flags and bad values.
 */
export function parseGlobalFlags(argv: string[], env: NodeJS.ProcessEnv): SplitArgs {
  const end = commandIndex(argv);
  const { values } = withUsage(usage, () => parseArgs({ args: argv.slice(0, end), options, strict: true }));
  const url = values.url ?? (env.USERCTL_URL || DEFAULT_URL);
  checkUrl(url);
  const protocol = values.protocol ?? "grpc";
  if (!protocols.includes(protocol as Protocol)) {
    throw new UsageError(`--protocol must be one of ${protocols.join(", ")}, got "${protocol}"`, usage);
  }
  if (values.token === "") throw new UsageError("--token must not be empty", usage);
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("--cert and --key go together", usage);
  }
  const tls = {
    ...(values.ca !== undefined && { ca: readPem(values.ca, "--ca") }),
    ...(values.cert !== undefined && { cert: readPem(values.cert, "--cert") }),
    ...(values.key !== undefined && { key: readPem(values.key, "--key") }),
  };
  if (Object.keys(tls).length > 0 && !url.startsWith("https:")) {
    throw new UsageError("--ca, --cert and --key need an https:// --url", usage);
  }
  return {
    globals: {
      url,
      protocol: protocol as Protocol,
      token: values.token ?? (env.USERCTL_TOKEN || undefined),
      timeoutMs: intFlag(values.timeout, "--timeout", usage, { min: 1 }),
      maxAttempts: intFlag(values["max-attempts"], "--max-attempts", usage, { min: 1, max: 10 }),
      json: values.json,
      headers: (values.header ?? []).map(parseHeader),
      tls,
      connectTimeoutMs: intFlag(values["connect-timeout"], "--connect-timeout", usage, { min: 1 }),
      trace: values.trace,
    },
    help: values.help,
    command: argv[end],
    args: argv.slice(end + 1),
  };
}

// Flags that take a value as the next argument (unless written --flag=value).
const valueFlags = new Set(
  Object.entries(options).flatMap(([name, o]) => (o.type === "string" ? [`--${name}`, ...("short" in o ? [`-${o.short}`] : [])] : [])),
);

/** The index of the command: the first argument that is not a flag or a flag's value. */
function commandIndex(argv: string[]): number {
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (!arg.startsWith("-") || arg === "-") break;
    i += valueFlags.has(arg) ? 2 : 1;
  }
  return Math.min(i, argv.length);
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url "${url}" is not a valid URL`, usage);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`--url "${url}" must use http:// or https://`, usage);
  }
}

function parseHeader(header: string): [string, string] {
  const colon = header.indexOf(":");
  const name = colon < 0 ? "" : header.slice(0, colon).trim().toLowerCase();
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
    throw new UsageError(`--header must look like 'name: value', got "${header}"`, usage);
  }
  return [name, header.slice(colon + 1).trim()];
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`, usage);
  }
}
