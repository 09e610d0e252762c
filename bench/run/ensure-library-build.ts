import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** How the measured library build came about. */
export type LibraryBuild = "fresh" | "rebuilt" | "stale";

/**
 * The benchmark measures the BUILT library (dist/), as applications load
 * it. When dist/ is missing or older than a file in src/ or gen/, this runs
 * `npm run build` (its output goes to stderr), or with `build: false` keeps
 * the old dist/ and reports "stale". Throws with what to do when the build fails.
 */
export async function ensureLibraryBuild(repositoryRoot: string, options: { build: boolean }): Promise<LibraryBuild> {
  const builtAt = await mtime(join(repositoryRoot, "dist/src/node/index.js"));
  const newestSource = Math.max(await newestMtime(join(repositoryRoot, "src")), await newestMtime(join(repositoryRoot, "gen")));
  if (builtAt !== undefined && builtAt >= newestSource) return "fresh";
  if (!options.build) {
    if (builtAt === undefined) throw new Error("dist/ is missing: run `npm run build` (or drop --no-build)");
    return "stale";
  }
  console.error(builtAt === undefined ? "dist/ is missing: running npm run build" : "dist/ is older than src/: running npm run build");
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn("npm", ["run", "build"], { cwd: repositoryRoot, stdio: ["ignore", process.stderr, process.stderr] });
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) {
    throw new Error(
      `npm run build failed (exit ${code}): the benchmark measures the built library in dist/; fix the build, or pass --no-build to measure the dist/ that exists`,
    );
  }
  return "rebuilt";
}

async function mtime(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}
