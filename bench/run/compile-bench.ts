import { mkdir, readdir, rm, symlink } from "node:fs/promises";
import { join, relative } from "node:path";
import { build } from "esbuild";

/** Where the bench's own TypeScript is compiled to (under the gitignored .tmp/). */
export const BENCH_BUILD_DIR = ".tmp/bench-build";

/**
 * Compiles the benchmark's own TypeScript (bench/, not bench/bundle-size/)
 * to JavaScript once per run: esbuild transforms each file alone, no
 * bundling, imports kept. Measured processes then run plain `node` on it,
 * with no loader transforming source as it loads (that would distort cold
 * start). `src` and `gen` next to the output are symlinks to `dist/src` and
 * `dist/gen`, so the bench's `../../src/node/index.js` imports load the BUILT
 * library, as an application would. Returns the output directory.
 */
export async function compileBench(repositoryRoot: string, outDir = BENCH_BUILD_DIR): Promise<string> {
  const outRoot = join(repositoryRoot, outDir);
  await rm(outRoot, { recursive: true, force: true });
  await mkdir(outRoot, { recursive: true });
  const benchDir = join(repositoryRoot, "bench");
  const entryPoints = (await readdir(benchDir, { recursive: true }))
    .filter((file) => file.endsWith(".ts") && !file.startsWith("bundle-size") && !file.startsWith("results"))
    .map((file) => join(benchDir, file));
  await build({
    entryPoints,
    outdir: join(outRoot, "bench"),
    outbase: benchDir,
    bundle: false,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
  for (const dir of ["src", "gen"]) {
    await symlink(relative(outRoot, join(repositoryRoot, "dist", dir)), join(outRoot, dir), "dir");
  }
  return outRoot;
}
