import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";

/** Sizes of one minified browser bundle, in bytes. */
export interface BundleSize {
  minified: number;
  gzip: number;
  brotli: number;
}

/** A bundle's sizes and what is in it. */
export interface BundleMeasurement {
  size: BundleSize;
  /**
   * Minified bytes by origin: an npm package ("@bufbuild/protobuf"), or the
   * repository folder of our own code ("src/web", "gen/user"), largest first.
   */
  byOrigin: [string, number][];
}

/**
 * Bundles `entryPoint` as a browser app would ship it (minified ES2022 ESM,
 * tree-shaken, no source map) and measures it raw, gzipped at level 9 and
 * brotli-compressed at maximum quality. Paths resolve from `workingDir`.
 * Throws if the bundle holds two copies of a package (two install paths of
 * @bufbuild/protobuf, say): an app installs one, so the sizes must too.
 */
export async function measureBundle(entryPoint: string, workingDir: string): Promise<BundleMeasurement> {
  const result = await build({
    absWorkingDir: workingDir,
    entryPoints: [entryPoint],
    bundle: true,
    minify: true,
    treeShaking: true,
    sourcemap: false,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error(`esbuild produced no output for ${entryPoint}`);
  return {
    size: {
      minified: code.byteLength,
      gzip: gzipSync(code, { level: 9 }).byteLength,
      brotli: brotliCompressSync(code, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: code.byteLength,
        },
      }).byteLength,
    },
    byOrigin: bytesByOrigin(entryPoint, result.metafile),
  };
}

/** Sums the output bytes of each input by package or folder, and checks that each package has one copy. */
export function bytesByOrigin(entryPoint: string, metafile: Metafile): [string, number][] {
  const output = Object.values(metafile.outputs)[0];
  if (output === undefined) throw new Error(`esbuild wrote no output for ${entryPoint}`);
  const bytes = new Map<string, number>();
  const copies = new Map<string, Set<string>>();
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(file);
    const origin = match === null ? file.split("/").slice(0, 2).join("/") : match[2]!;
    if (match !== null) {
      const roots = copies.get(origin) ?? new Set<string>();
      roots.add(match[1]!);
      copies.set(origin, roots);
    }
    bytes.set(origin, (bytes.get(origin) ?? 0) + bytesInOutput);
  }
  for (const [name, roots] of copies) {
    if (roots.size > 1)
      throw new Error(`${entryPoint} bundles ${roots.size} copies of ${name} (${[...roots].join(", ")}): an app installs one`);
  }
  return [...bytes].sort((a, b) => b[1] - a[1]);
}
