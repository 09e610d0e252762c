import { STACK_NAMES, type StackName } from "../stacks/bench-client.js";
import { type BenchMode, SCENARIO_NAMES } from "./bench-plan.js";

/** What to profile: one scenario, for one stack or several (e.g. ours and the floor). */
export interface ProfileRequest {
  stacks: StackName[];
  scenario: string;
  /** Measured window. */
  durationMs: number;
  /** Calls per second, for the latency scenarios. */
  ratePerSec: number;
}

/** The command line of `npm run bench`, resolved. */
export interface BenchOptions {
  mode: BenchMode;
  /** Seeds the order of the runs; printed so that a run can be replayed. */
  seed: number;
  /** Run `npm run build` when dist/ is older than src/ (false: measure dist/ as it is, with a warning). */
  build: boolean;
  profile: ProfileRequest | undefined;
  help: boolean;
}

export const BENCH_USAGE = `usage: npm run bench [-- options]
  --quick                  fewer repeats, short windows, 1,000 open streams (what CI runs)
  --seed <n>               order the runs with this seed (printed by every run)
  --profile <stacks>:<scenario>
                           CPU-profile one scenario instead, e.g. ours-full,raw-http2:unary-small-c16
  --profile-ms <ms>        measured window of a profile run (default 5000)
  --rate <calls/s>         fixed rate of a profiled latency scenario (default 1000)
  --no-build               do not rebuild dist/ when it is older than src/ (measures the old build)
stacks: ${STACK_NAMES.join(", ")}
scenarios: ${SCENARIO_NAMES.join(", ")}`;

/** Parses the arguments; throws an Error naming the bad argument. */
export function parseBenchOptions(argv: readonly string[], randomSeed: () => number): BenchOptions {
  const options: BenchOptions = { mode: "full", seed: randomSeed(), build: true, profile: undefined, help: false };
  let profile: string | undefined;
  let durationMs = 5_000;
  let ratePerSec = 1_000;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const positive = (name: string, text: string) => {
      const n = Number(text);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${text}"`);
      return n;
    };
    if (arg === "--quick") options.mode = "quick";
    else if (arg === "--seed") options.seed = positive("--seed", value());
    else if (arg === "--profile") profile = value();
    else if (arg === "--profile-ms") durationMs = positive("--profile-ms", value());
    else if (arg === "--rate") ratePerSec = positive("--rate", value());
    else if (arg === "--no-build") options.build = false;
    else if (arg === "--help" || arg === "-h") options.help = true;
    else throw new Error(`unknown argument "${arg}"`);
  }
  if (profile !== undefined) options.profile = { ...parseProfile(profile), durationMs, ratePerSec };
  return options;
}

function parseProfile(text: string): Pick<ProfileRequest, "stacks" | "scenario"> {
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw new Error(`--profile takes <stacks>:<scenario>, e.g. ours-full,raw-http2:unary-small-c16; got "${text}"`);
  const stacks = text.slice(0, colon).split(",");
  const scenario = text.slice(colon + 1);
  for (const stack of stacks) {
    if (!(STACK_NAMES as readonly string[]).includes(stack))
      throw new Error(`--profile: unknown stack "${stack}"; one of ${STACK_NAMES.join(", ")}`);
  }
  if (!SCENARIO_NAMES.includes(scenario)) throw new Error(`--profile: unknown scenario "${scenario}"; one of ${SCENARIO_NAMES.join(", ")}`);
  return { stacks: stacks as StackName[], scenario };
}
