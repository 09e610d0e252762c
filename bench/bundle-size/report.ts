/**
 * `npm run bundle-size`: measures the browser apps under apps/, prints the
 * size table and exits 1 if a size grew more than 5% over bundle-size.json.
 * `npm run bundle-size -- --update` rewrites bundle-size.json and the table
 * in README.md instead.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { version as esbuildVersion } from "esbuild";
import { BASELINE_APP, BUNDLE_SIZE_APPS } from "./bundle-size-apps.js";
import { compareBundleSizes, describeRegression } from "./compare-bundle-sizes.js";
import { type BundleSize, measureBundle } from "./measure-bundle.js";
import { renderSizeTable, spliceSizeTable } from "./render-size-table.js";

/** The committed figures: bundle-size.json. */
interface CommittedSizes {
  /** The esbuild version that measured them; another version may minify differently. */
  esbuild: string;
  apps: Record<string, BundleSize>;
}

const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));
const jsonFile = new URL("bundle-size.json", import.meta.url);
const readmeFile = new URL("README.md", import.meta.url);

const sizes: Record<string, BundleSize> = {};
for (const app of BUNDLE_SIZE_APPS) sizes[app.name] = await measureBundle(app.entryPoint, repositoryRoot);
const table = renderSizeTable(BUNDLE_SIZE_APPS, sizes, BASELINE_APP);
console.log(table);

if (process.argv.includes("--update")) {
  const committed: CommittedSizes = { esbuild: esbuildVersion, apps: sizes };
  await writeFile(jsonFile, `${JSON.stringify(committed, null, 2)}\n`);
  await writeFile(readmeFile, spliceSizeTable(await readFile(readmeFile, "utf8"), table));
  console.log("\nupdated bench/bundle-size/bundle-size.json and the table in bench/bundle-size/README.md");
} else {
  const committed = JSON.parse(await readFile(jsonFile, "utf8")) as CommittedSizes;
  if (committed.esbuild !== esbuildVersion) {
    console.warn(`\nnote: committed sizes were measured with esbuild ${committed.esbuild}, this is ${esbuildVersion}`);
  }
  let regressions: ReturnType<typeof compareBundleSizes>;
  try {
    regressions = compareBundleSizes(committed.apps, sizes);
  } catch (e) {
    console.error(`\nbundle-size: ${(e as Error).message}`);
    process.exit(1);
  }
  if (regressions.length > 0) {
    console.error(`\nbundle size grew more than 5% over bench/bundle-size/bundle-size.json:`);
    for (const regression of regressions) console.error(`  ${describeRegression(regression)}`);
    console.error("if the growth is intended, run `npm run bundle-size -- --update` and commit the result");
    process.exitCode = 1;
  } else {
    console.log("\nevery size is within 5% of bench/bundle-size/bundle-size.json");
  }
}
