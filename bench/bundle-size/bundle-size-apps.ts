/** A browser app whose bundle size we track. */
export interface BundleSizeApp {
  /** Key in bundle-size.json and row of the table. */
  name: string;
  /** Entry file, relative to the repository. */
  entryPoint: string;
  /** What the bundle holds, for the table. */
  contains: string;
}

/** The app every other one is compared with: connect-web and nothing of ours. */
export const BASELINE_APP = "connect-web-baseline";

/** The apps `npm run bundle-size` measures, baseline last. */
export const BUNDLE_SIZE_APPS: readonly BundleSizeApp[] = [
  {
    name: "bare-web-transport",
    entryPoint: "bench/bundle-size/apps/bare-web-transport.ts",
    contains:
      "our web `createTransport` with its defaults (browser streaming guard, correlation, deadline and retry interceptors, typed errors) + `createClient` + one `getUser`; auth, logging and the Connect protocol are bundled too, unused, as options pick them at run time",
  },
  {
    name: "full-client",
    entryPoint: "bench/bundle-size/apps/full-client.ts",
    contains: "our `createUserClient` with auth, retry, deadline, logging and correlation + one `get` + a `watchUsers` loop",
  },
  {
    name: BASELINE_APP,
    entryPoint: "bench/bundle-size/apps/connect-web-baseline.ts",
    contains: "connect-web's `createGrpcWebTransport` + `createClient` + one `getUser`, no code of ours",
  },
];
