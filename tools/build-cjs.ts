/**
 * The CommonJS build for `require("userctl-rpc")` (the "require" condition
 * of every Node entry), made from the ESM build in dist/ by `npm pack`:
 * esbuild transforms each module alone (no bundling, so the
 * module graph, and connect's and protobuf's own CJS builds, stay as they
 * are), and each declaration file is copied next to it, where
 * dist/cjs/package.json makes TypeScript read it as CommonJS too.
 */
import { copyFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const dist = "dist";
const out = join(dist, "cjs");
// The CLI and the demo are ESM-only: the bin imports dist/src/cli, and no export reaches either.
const skipped = [join(dist, "src", "cli"), join(dist, "demo"), out];

const files = (await readdir(dist, { recursive: true }))
  .map((file) => join(dist, file))
  .filter((file) => !skipped.some((dir) => file.startsWith(`${dir}/`)));
await rm(out, { recursive: true, force: true });
await build({
  entryPoints: files.filter((file) => file.endsWith(".js")),
  outdir: out,
  outbase: dist,
  bundle: false,
  format: "cjs",
  platform: "node",
  target: "node20",
  // The server finds dist/demo from its own location.
  define: { "import.meta.url": "__importMetaUrl" },
  banner: { js: 'const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});
for (const file of files.filter((file) => file.endsWith(".d.ts"))) {
  const target = join(out, file.slice(dist.length + 1));
  await mkdir(dirname(target), { recursive: true });
  await copyFile(file, target);
}
await writeFile(join(out, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
console.log(`dist/cjs: ${files.filter((file) => file.endsWith(".js")).length} modules`);
