import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { StackName } from "../stacks/bench-client.js";

/** One web app's bundle, as bench/bundle-size/bundle-size.json records it. */
export interface BundleSize {
  minified: number;
  gzip: number;
  brotli: number;
}

/** The committed figures of the browser issue's report (bench/bundle-size/), read, never rebuilt here. */
export interface BundleSizes {
  esbuild: string;
  apps: Record<string, BundleSize>;
}

/** Which web app stands for which column: ours full and bare, and connect-web in the connect column. grpc-js and raw have no browser build. */
export const BUNDLE_APP_OF: Partial<Record<StackName, string>> = {
  "ours-full": "full-web-transport",
  "ours-bare": "bare-web-transport",
  "connect-node": "connect-web-baseline",
};

/** The app the others are compared with. */
export const BUNDLE_BASELINE_APP = "connect-web-baseline";

export async function readBundleSizes(repositoryRoot: string): Promise<BundleSizes> {
  return JSON.parse(await readFile(join(repositoryRoot, "bench/bundle-size/bundle-size.json"), "utf8")) as BundleSizes;
}
