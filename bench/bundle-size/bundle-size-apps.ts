/** A browser app whose bundle size we track. */
export interface BundleSizeApp {
  /** Key in bundle-size.json and row of the table. */
  name: string;
  /** Entry file, relative to the repository. */
  entryPoint: string;
  /** Which schema it calls: the bench schema (user.v1.UserService) or the tiny one (tiny.v1.PingService, one method). */
  schema: "bench" | "tiny";
  /** What the bundle holds, for the table. */
  contains: string;
  /** The app it is compared with (connect-web on the same schema); undefined for a baseline itself. */
  baseline: string | undefined;
  /**
   * The largest gzip size allowed, as a ratio to the baseline measured in
   * the same run (issue 14); undefined for a row without a goal.
   */
  goal?: number;
}

/** The goals of issue 14: "bare" at most 0.75× connect-web, "full" at most 1.0×. */
export const BARE_GOAL = 0.75;
export const FULL_GOAL = 1.0;

const bareContains =
  "our web `createTransport` with its defaults (binary gRPC-Web over fetch; retry, deadline and correlation policies; typed errors) + `createClient` + one unary call";
const fullContains =
  "our web `createTransport` with auth, retry, deadline, logging (`createLoggingInterceptor`) and correlation + `createClient` + one unary call";

/** The apps `npm run bundle-size` measures. */
export const BUNDLE_SIZE_APPS: readonly BundleSizeApp[] = [
  {
    name: "bare-web-transport",
    entryPoint: "bench/bundle-size/apps/bare-web-transport.ts",
    schema: "bench",
    contains: bareContains,
    baseline: "connect-web-baseline",
    goal: BARE_GOAL,
  },
  {
    name: "full-web-transport",
    entryPoint: "bench/bundle-size/apps/full-web-transport.ts",
    schema: "bench",
    contains: `${fullContains} + one server stream`,
    baseline: "connect-web-baseline",
    goal: FULL_GOAL,
  },
  {
    name: "full-client",
    entryPoint: "bench/bundle-size/apps/full-client.ts",
    schema: "bench",
    contains: "our `createUserClient` (resuming watch, typed helpers) on the full `createTransport` + one `get` + a `watchUsers` loop",
    baseline: "connect-web-baseline",
  },
  {
    name: "floor-transport",
    entryPoint: "bench/bundle-size/apps/floor-transport.ts",
    schema: "bench",
    contains:
      "the floor: protobuf-es + `createClient` + one unary call on a few-line fetch transport (no framing, status, errors or policies)",
    baseline: "connect-web-baseline",
  },
  {
    name: "connect-web-baseline",
    entryPoint: "bench/bundle-size/apps/connect-web-baseline.ts",
    schema: "bench",
    contains: "connect-web's `createGrpcWebTransport` + `createClient` + one unary call, no code of ours",
    baseline: undefined,
  },
  {
    name: "tiny-bare-web-transport",
    entryPoint: "bench/bundle-size/apps/tiny-bare-web-transport.ts",
    schema: "tiny",
    contains: bareContains,
    baseline: "tiny-connect-web-baseline",
    goal: BARE_GOAL,
  },
  {
    name: "tiny-full-web-transport",
    entryPoint: "bench/bundle-size/apps/tiny-full-web-transport.ts",
    schema: "tiny",
    contains: fullContains,
    baseline: "tiny-connect-web-baseline",
    goal: FULL_GOAL,
  },
  {
    name: "tiny-floor-transport",
    entryPoint: "bench/bundle-size/apps/tiny-floor-transport.ts",
    schema: "tiny",
    contains:
      "the floor: protobuf-es + `createClient` + one unary call on a few-line fetch transport (no framing, status, errors or policies)",
    baseline: "tiny-connect-web-baseline",
  },
  {
    name: "tiny-connect-web-baseline",
    entryPoint: "bench/bundle-size/apps/tiny-connect-web-baseline.ts",
    schema: "tiny",
    contains: "connect-web's `createGrpcWebTransport` + `createClient` + one unary call, no code of ours",
    baseline: undefined,
  },
];
